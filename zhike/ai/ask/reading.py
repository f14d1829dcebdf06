"""The matched phrases of a question by role, and the field paths they reach from a base."""

from __future__ import annotations

from dataclasses import dataclass

from zhike.ai.ask import vocabulary as words
from zhike.ai.ask.lexicon import Term
from zhike.ai.ask.tokens import Phrase


@dataclass(slots=True)
class Reading:
    """The phrases sorted by role, with positions, while the query is assembled."""

    phrases: list[Phrase]
    base: str = "opportunities"

    def of(self, kind: str) -> list[tuple[Phrase, Term]]:
        found = []
        for phrase in self.phrases:
            term = phrase.first(kind)
            if term is not None:
                found.append((phrase, term))
        return found

    def governed(self, phrase: Phrase, kinds: tuple[str, ...], before: int = 2) -> bool:
        """True when a word of ``kinds`` precedes ``phrase`` closely, with no dimension between.

        "各行业的客户数量" groups by industry only: "各" governs the first dimension after it.
        """
        low = max(-1, phrase.position - before - 1)
        for position in range(phrase.position - 1, low, -1):
            other = self.phrases[position]
            if any(other.has(kind) for kind in kinds):
                return True
            # "按客户所在国家": the owner of the field counts as part of the dimension.
            if other.has("dimension") and not self.owns_next(other):
                return False
            if other.has("dimension"):
                low = max(-1, low - 1)
        return False

    def owns_next(self, phrase: Phrase) -> bool:
        """True when the next phrase names a field of the object ``phrase`` names.

        In "客户所在国家" and "customer country" the customer only says whose country is meant.
        """
        if phrase.position + 1 >= len(self.phrases):
            return False
        following = self.phrases[phrase.position + 1]
        if following.conjoined:
            return False
        owners = {term.target for term in phrase.terms if term.kind == "object"}
        own_fields = {
            (term.target, term.field) for term in phrase.terms if term.kind == "dimension"
        }
        return any(
            term.kind == "dimension"
            and term.target in owners
            and (term.target, term.field) not in own_fields
            and not following.has("object")
            for term in following.terms
        )

    def grouped_after_dimension(self, phrase: Phrase) -> bool:
        """True for the later dimensions of a group word's list: "by region and product".

        The first dimension must follow a group word, and each later one follows the one
        before it through a conjunction.
        """
        current = phrase
        # "by series and customer country": the object before the field only names its owner.
        if not current.conjoined and current.position > 0:
            owner = self.phrases[current.position - 1]
            if owner.conjoined and self.owns_next(owner):
                current = owner
        while current.conjoined and current.position > 0:
            other = self.phrases[current.position - 1]
            if not other.has("dimension") or other.has("value"):
                return False
            if self.governed(other, ("group",), before=2):
                return True
            current = other
        return False

    def followed(self, phrase: Phrase, kinds: tuple[str, ...], after: int = 2) -> bool:
        """True when a word of ``kinds`` follows ``phrase`` closely, with no dimension between.

        "客户的行业分布" groups by industry only: "分布" governs the dimension right before it.
        """
        for position in range(
            phrase.position + 1, min(len(self.phrases), phrase.position + after + 1)
        ):
            other = self.phrases[position]
            if any(other.has(kind) for kind in kinds):
                return True
            if other.has("dimension"):
                return False
        return False

    def near(self, phrase: Phrase, kinds: tuple[str, ...], before: int = 2, after: int = 0) -> bool:
        low, high = phrase.position - before, phrase.position + after
        return any(
            other is not phrase
            and low <= other.position <= high
            and any(other.has(k) for k in kinds)
            for other in self.phrases
        )


def path_for(base: str, target: str | None, name: str | None) -> str | None:
    """Return the dotted path of ``target.name`` seen from ``base``, or None when out of reach."""
    if target is None or name is None:
        return None
    prefix = words.PATHS.get(base, {}).get(target)
    return None if prefix is None else prefix + name
