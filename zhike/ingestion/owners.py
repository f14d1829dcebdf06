"""Find the user an import cell names, by e-mail or by display name.

Spreadsheets from other systems name a record's owner the way people do ("Moses Frase",
"张伟") as often as by e-mail. A cell is compared with every user's e-mail first and then
with their display name, both folded by ``user_key``. A name may belong to several people:
when more than one active user carries it, the cell is rejected rather than guessed, and
the error lists the candidates' e-mails, masked as the user list masks them for the importer.
Masked e-mails can look the same (``m***@example.com`` twice), so a masked candidate also
names their team, or "no team".
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhike.core.i18n import Localized, translate
from zhike.ingestion.profile import Lookup
from zhike.security.admin import visible_email
from zhike.security.context import Actor
from zhike.security.models import Team, User

# The ``by`` of a users lookup that matches the e-mail or the display name.
EMAIL_OR_NAME = "email_or_name"


def is_user_lookup(lookup: Lookup) -> bool:
    return lookup.object == "users" and lookup.by == EMAIL_OR_NAME


def user_key(text: str) -> str:
    """Fold an e-mail or a name for comparison: NFKC, case-folded, with all whitespace removed.

    NFKC turns full-width letters and the ideographic space into their plain forms, so
    "ＭＯＳＥＳ　frase" and "Moses Frase" fold to the same key, as do "张 伟" and "张伟".
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class Candidate:
    """A user a name matched: the e-mail as the importer may see it, and the team when masked.

    ``team`` is None for a full e-mail. For a masked one it is the team name, or "" for a
    user in no team.
    """

    email: str
    team: str | None = None

    def render(self, locale: str) -> str:
        if self.team is None:
            return self.email
        team = self.team or translate("import_owner.no_team", locale)
        return translate("import_owner.candidate", locale, email=self.email, team=team)


def describe_candidates(candidates: tuple[Candidate, ...]) -> Localized:
    """List the candidates of an ambiguous name, comma-separated, in the message's language."""
    return Localized(lambda locale: ", ".join(item.render(locale) for item in candidates))


@dataclass(frozen=True)
class UserMatch:
    """The outcome for one cell: a user id, or the error code and the users that matched.

    ``candidates`` contains the users a name matched, sorted by e-mail as the importer may
    see them in the user list.
    """

    user_id: uuid.UUID | None = None
    error_code: str | None = None
    candidates: tuple[Candidate, ...] = ()


_NOT_FOUND = UserMatch(error_code="owner_not_found")


class UserDirectory:
    """The live users of a tenant, indexed by folded e-mail and folded display name.

    Built from one query, so a step with thousands of rows reads the users table once.
    """

    def __init__(self, session: Session, actor: Actor) -> None:
        self._by_email: dict[str, uuid.UUID] = {}
        self._active_by_name: dict[str, list[uuid.UUID]] = defaultdict(list)
        self._inactive_by_name: dict[str, list[uuid.UUID]] = defaultdict(list)
        self._shown: dict[uuid.UUID, Candidate] = {}
        team_names: dict[uuid.UUID, str] = dict(
            session.execute(
                select(Team.id, Team.name).where(Team.tenant_id == actor.tenant_id)
            ).all()
        )
        rows = session.execute(
            select(User.id, User.email, User.display_name, User.is_active, User.team_id).where(
                User.tenant_id == actor.tenant_id, User.deleted_at.is_(None)
            )
        )
        for user_id, email, display_name, is_active, team_id in rows:
            self._by_email[user_key(email)] = user_id
            shown = visible_email(actor, user_id, email)
            team = None if shown == email else team_names.get(team_id, "") if team_id else ""
            self._shown[user_id] = Candidate(shown, team)
            names = self._active_by_name if is_active else self._inactive_by_name
            names[user_key(display_name)].append(user_id)

    def find(self, cell: str) -> UserMatch:
        """Match ``cell`` to one user: by e-mail, else by the name of an active user.

        A deactivated user is matched by name only when no active user has that name, so
        that historical records of people who left still find their owner.
        """
        key = user_key(cell)
        if not key:
            return _NOT_FOUND
        by_email = self._by_email.get(key)
        if by_email is not None:
            return UserMatch(user_id=by_email)
        for names in (self._active_by_name, self._inactive_by_name):
            candidates = names.get(key, [])
            if len(candidates) == 1:
                return UserMatch(user_id=candidates[0])
            if len(candidates) > 1:
                shown = sorted(
                    (self._shown[user_id] for user_id in candidates),
                    key=lambda item: (item.email, item.team or ""),
                )
                return UserMatch(error_code="owner_ambiguous", candidates=tuple(shown))
        return _NOT_FOUND
