"""Next-best-product recommendations by item-based collaborative filtering.

Two products are similar when the same accounts buy both (cosine similarity
of their buyer sets). An account's candidates are scored by their similarity
to what it already bought, and every suggestion names the products behind
it, so a rep reads "accounts that bought X also bought Y" rather than a bare
score. A popularity ranking fills in for accounts with no history and is the
baseline every evaluation reports beside the model.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse


@dataclass(frozen=True)
class Reason:
    product: Hashable  # a product the account bought
    shared_buyers: int  # accounts that bought both it and the suggestion
    similarity: float


@dataclass(frozen=True)
class Suggestion:
    product: Hashable
    score: float
    reasons: tuple[Reason, ...] = field(default=())
    popular: bool = False  # from the popularity ranking, not from the account's history


class ItemRecommender:
    """Fitted on (account, product) purchase pairs; a product bought twice has one buyer."""

    def __init__(self, accounts: Sequence[Hashable], products: Sequence[Hashable]) -> None:
        account_codes = _codes(accounts)
        product_codes, self.products = _codes_and_values(products)
        self.product_index: dict[Hashable, int] = {
            product: index for index, product in enumerate(self.products)
        }
        matrix = sparse.csr_matrix(
            (np.ones(len(account_codes), dtype=np.float64), (account_codes, product_codes)),
            shape=(int(account_codes.max()) + 1 if len(account_codes) else 0, len(self.products)),
        )
        matrix.data[:] = 1.0  # duplicates were summed on construction
        self.co_buyers: NDArray[np.float64] = np.asarray((matrix.T @ matrix).todense())
        counts = np.diag(self.co_buyers).copy()
        norms = np.sqrt(np.maximum(counts, 1.0))
        self.similarity = self.co_buyers / np.outer(norms, norms)
        self.buyer_counts = counts
        self.popularity_order = [int(index) for index in np.argsort(-counts, kind="stable")]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[Hashable, Hashable]]) -> ItemRecommender:
        listed = list(pairs)
        return cls([account for account, _ in listed], [product for _, product in listed])

    def recommend(
        self,
        bought: Sequence[Hashable],
        k: int = 3,
        *,
        include_owned: bool = False,
        reasons: int = 2,
    ) -> list[Suggestion]:
        """Up to ``k`` products for an account that bought ``bought`` (repeats count), best first.

        With ``include_owned`` a product the account already has may come back,
        which is what a renewal or a repeat order looks like in B2B sales.
        """
        weights: dict[int, float] = {}
        for product in bought:
            index = self.product_index.get(product)
            if index is not None:
                weights[index] = weights.get(index, 0.0) + 1.0
        owned = sorted(weights)
        suggestions: list[Suggestion] = []
        if owned:
            similarity = self.similarity[owned]
            if not include_owned:
                similarity = similarity.copy()
                similarity[np.arange(len(owned)), owned] = 0.0
            scores = (np.array([weights[i] for i in owned])[:, None] * similarity).sum(axis=0)
            if not include_owned:
                scores[owned] = 0.0
            for index in np.argsort(-scores, kind="stable"):
                if len(suggestions) == k or scores[index] <= 0:
                    break
                contributions = sorted(
                    (item for item in owned if item != index),
                    key=lambda item: -self.similarity[item, index],
                )[:reasons]
                suggestions.append(
                    Suggestion(
                        product=self.products[int(index)],
                        score=round(float(scores[index]), 4),
                        reasons=tuple(
                            Reason(
                                product=self.products[item],
                                shared_buyers=int(self.co_buyers[item, index]),
                                similarity=round(float(self.similarity[item, index]), 4),
                            )
                            for item in contributions
                            if self.co_buyers[item, index] > 0
                        ),
                    )
                )
        taken = {self.product_index[s.product] for s in suggestions}
        if not include_owned:
            taken |= set(owned)
        for index in self.popularity_order:
            if len(suggestions) == k:
                break
            if index not in taken:
                suggestions.append(
                    Suggestion(product=self.products[index], score=0.0, popular=True)
                )
        return suggestions

    def popular(
        self, bought: Sequence[Hashable], k: int = 3, *, include_owned: bool = False
    ) -> list[Hashable]:
        """Rank by popularity alone, the baseline; owned products only with ``include_owned``."""
        owned = set() if include_owned else {self.product_index.get(p) for p in bought}
        picks = [self.products[i] for i in self.popularity_order if i not in owned]
        return picks[:k]


def _codes(values: Sequence[Hashable]) -> NDArray[np.int64]:
    codes, _ = _codes_and_values(values)
    return codes


def _codes_and_values(values: Sequence[Hashable]) -> tuple[NDArray[np.int64], list[Hashable]]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return np.asarray(codes, dtype=np.int64), list(uniques)


@dataclass
class HoldoutResult:
    accounts: int
    hit_rate_model: float
    hit_rate_popularity: float


def leave_latest_out(
    purchases: Iterable[tuple[Hashable, Hashable, object]], k: int = 3
) -> HoldoutResult:
    """Hold out each account's latest purchase and check whether the top ``k`` name it.

    ``purchases`` are (account, product, when) with comparable ``when``. Accounts
    with a single purchase have nothing to learn from and train only. Owned
    products may be suggested, because the held-out purchase is often a repeat
    of an earlier one. The popularity baseline gets the same freedom.
    """
    history: dict[Hashable, list[tuple[object, Hashable]]] = {}
    for account, product, when in purchases:
        history.setdefault(account, []).append((when, product))
    accounts: list[Hashable] = []
    products: list[Hashable] = []
    tests: list[tuple[list[Hashable], Hashable]] = []
    for account, items in history.items():
        items.sort(key=lambda item: (str(item[0]), str(item[1])))
        training = items[:-1] if len(items) > 1 else items
        accounts.extend(account for _ in training)
        products.extend(product for _, product in training)
        if len(items) > 1:
            tests.append(([product for _, product in training], items[-1][1]))
    model = ItemRecommender(accounts, products)
    model_hits = popular_hits = 0
    for earlier, latest in tests:
        suggested = model.recommend(earlier, k, include_owned=True)
        model_hits += latest in {suggestion.product for suggestion in suggested}
        popular_hits += latest in model.popular(earlier, k, include_owned=True)
    count = len(tests)
    return HoldoutResult(
        accounts=count,
        hit_rate_model=round(model_hits / count, 4) if count else 0.0,
        hit_rate_popularity=round(popular_hits / count, 4) if count else 0.0,
    )
