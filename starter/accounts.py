"""Who may sign in, kept in the records database: local accounts, sessions, the first-run link, service keys.

No secret is stored: a password as its argon2 hash (``pwdlib``); a session token, a one-time link's
token and a service key as their sha256 (each is 256 random bits, so a plain hash cannot be reversed
by guessing). A secret is shown once, when it is made, and never again.

Sessions end after :data:`IDLE` without use and after :data:`ABSOLUTE` however active
(``CPJ_SESSION_IDLE_MINUTES``, ``CPJ_SESSION_HOURS``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from collections.abc import Callable, Iterable

from pwdlib import PasswordHash
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from activities.db import Account, OneTimeLink, ServiceKey, WebSession
from starter.identity import Actor
from starter.roles import Role

IDLE = timedelta(minutes=float(os.environ.get("CPJ_SESSION_IDLE_MINUTES") or 30))
ABSOLUTE = timedelta(hours=float(os.environ.get("CPJ_SESSION_HOURS") or 10))
#: How long the first-run link works: long enough to open it, not long enough to be found later.
FIRST_RUN_LINK_LIFETIME = timedelta(hours=1)
FIRST_ADMIN = "first_administrator"
MIN_PASSWORD_LENGTH = 12
#: A staff number or a key's name: letters, digits and hyphens, never a person's name with spaces.
REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_hasher = PasswordHash.recommended()
# Checked when the staff number is unknown, so a wrong staff number costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A request about accounts or keys that cannot be done; the message is a sentence for the person."""


@dataclass(frozen=True)
class SessionRow:
    actor: Actor
    csrf_token: str
    signed_in_with: str
    expires_at: datetime


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def check_ref(ref: str, what: str = "a staff number") -> str:
    if not REF_PATTERN.fullmatch(ref):
        raise AccountError(f"{what} is letters, digits, dots and hyphens (up to 64, no spaces), never a name: {ref!r}")
    return ref


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    return password


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            raise AccountError(f"no role {value!r}; the roles are: {', '.join(role.value for role in Role)}") from None
    if not roles:
        raise AccountError("give at least one role (--role)")
    return frozenset(roles)


def _known_roles(values: Iterable[str]) -> frozenset[Role]:
    # A role dropped from the code since the row was written is not granted.
    known = {role.value for role in Role}
    return frozenset(Role(value) for value in values if value in known)


class IdentityStore:
    """Accounts, sessions, one-time links and service keys on the records database's ``engine``."""

    def __init__(self, engine: Engine, *, idle: timedelta = IDLE, absolute: timedelta = ABSOLUTE,
                 clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.idle = idle
        self.absolute = absolute
        self.clock = clock

    # -- local accounts ---------------------------------------------------------------------

    def add_account(self, staff_ref: str, roles: Iterable[Role | str], password: str) -> Account:
        account = Account(staff_ref=check_ref(staff_ref), roles=sorted(parse_roles(roles)),
                          password_hash=_hasher.hash(check_password(password)), created_at=self.clock())
        try:
            with Session(self.engine) as session:
                session.add(account)
                session.commit()
                session.refresh(account)
        except IntegrityError:
            raise AccountError(f"there is already an account for {staff_ref}") from None
        return account

    def accounts(self) -> list[Account]:
        with Session(self.engine) as session:
            return list(session.exec(select(Account).order_by(Account.staff_ref)).all())

    def disable_account(self, staff_ref: str) -> None:
        """The account can no longer sign in, and its open sessions end now."""
        with Session(self.engine) as session:
            account = session.get(Account, staff_ref)
            if account is None:
                raise AccountError(f"there is no account for {staff_ref}")
            account.disabled = True
            session.add(account)
            for row in session.exec(select(WebSession).where(WebSession.staff_ref == staff_ref,
                                                              WebSession.signed_in_with == "local")).all():
                session.delete(row)
            session.commit()

    def password_actor(self, staff_ref: str, password: str) -> Actor | None:
        """The account's person if the password is theirs and the account is not disabled."""
        with Session(self.engine) as session:
            account = session.get(Account, staff_ref) if REF_PATTERN.fullmatch(staff_ref) else None
        if account is None:
            _hasher.verify(password, _DUMMY_HASH)
            return None
        if not _hasher.verify(password, account.password_hash) or account.disabled:
            return None
        return Actor(kind="person", ref=account.staff_ref, roles=_known_roles(account.roles))

    # -- sessions -----------------------------------------------------------------------------

    def open_session(self, actor: Actor, signed_in_with: str) -> str:
        """A new session for ``actor``; returns the token for the cookie (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        row = WebSession(token_hash=digest(token), staff_ref=actor.ref, roles=sorted(actor.roles),
                         signed_in_with=signed_in_with, csrf_token=secrets.token_urlsafe(32),
                         created_at=now, last_seen_at=now, expires_at=now + self.absolute)
        with Session(self.engine) as session:
            # Sessions long over are cleared as new ones open, so the table does not only grow.
            for old in session.exec(select(WebSession).where(WebSession.expires_at < now)).all():
                session.delete(old)
            session.add(row)
            session.commit()
        return token

    def session(self, token: str) -> SessionRow | None:
        """The session behind a cookie, still open (used within :attr:`idle`, before its absolute end)."""
        now = self.clock()
        with Session(self.engine) as session:
            row = session.get(WebSession, digest(token))
            if row is None:
                return None
            if now >= row.expires_at or now - row.last_seen_at >= self.idle:
                session.delete(row)
                session.commit()
                return None
            # Written at most once a minute: a page of requests is not a page of writes.
            if now - row.last_seen_at >= timedelta(minutes=1):
                row.last_seen_at = now
                session.add(row)
                session.commit()
            actor = Actor(kind="person", ref=row.staff_ref, roles=_known_roles(row.roles))
            return SessionRow(actor=actor, csrf_token=row.csrf_token, signed_in_with=row.signed_in_with,
                              expires_at=row.expires_at)

    def close_session(self, token: str) -> None:
        with Session(self.engine) as session:
            row = session.get(WebSession, digest(token))
            if row is not None:
                session.delete(row)
                session.commit()

    # -- the first administrator's one-time link ------------------------------------------------

    def needs_first_administrator(self) -> bool:
        """No account at all yet: the embedded default's first run."""
        with Session(self.engine) as session:
            return session.exec(select(Account).limit(1)).first() is None

    def first_run_link(self, lifetime: timedelta = FIRST_RUN_LINK_LIFETIME) -> str | None:
        """A new single-use token for creating the first administrator, or ``None`` once any account exists.

        Each start makes a new one (the one printed before may have scrolled away); the older ones end.
        """
        if not self.needs_first_administrator():
            return None
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with Session(self.engine) as session:
            for old in session.exec(select(OneTimeLink).where(OneTimeLink.purpose == FIRST_ADMIN,
                                                               OneTimeLink.used_at.is_(None))).all():  # type: ignore[union-attr]
                old.expires_at = min(old.expires_at, now)
                session.add(old)
            session.add(OneTimeLink(token_hash=digest(token), purpose=FIRST_ADMIN, created_at=now,
                                    expires_at=now + lifetime))
            session.commit()
        return token

    def first_run_link_works(self, token: str) -> bool:
        with Session(self.engine) as session:
            return self._open_link(session, token) is not None

    def create_first_administrator(self, token: str, staff_ref: str, password: str) -> Actor:
        """Uses the link (once) to make the first account, an administrator; refused if the link is spent."""
        check_ref(staff_ref)
        check_password(password)
        with Session(self.engine) as session:
            link = self._open_link(session, token)
            if link is None or session.exec(select(Account).limit(1)).first() is not None:
                raise AccountError("this link has been used or has expired; restart ./run.sh for a new one "
                                   "(or ask an administrator to add your account with cpj user add)")
            link.used_at = self.clock()
            session.add(link)
            session.add(Account(staff_ref=staff_ref, roles=[Role.ADMINISTRATOR.value],
                                password_hash=_hasher.hash(password), created_at=self.clock()))
            try:
                session.commit()
            except IntegrityError:
                # Another tab used the same link at the same moment: only one may win.
                raise AccountError("this link has just been used") from None
        return Actor(kind="person", ref=staff_ref, roles=frozenset({Role.ADMINISTRATOR}))

    def _open_link(self, session: Session, token: str) -> OneTimeLink | None:
        link = session.get(OneTimeLink, digest(token)) if token else None
        if link is None or link.purpose != FIRST_ADMIN or link.used_at is not None or self.clock() >= link.expires_at:
            return None
        return link

    # -- service keys -----------------------------------------------------------------------------

    def create_service_key(self, name: str, may_send: Iterable[str]) -> str:
        """A new key for the service ``name``, allowed to send ``may_send``; the key is returned once, kept hashed."""
        check_ref(name, "a key's name")
        may = sorted(set(may_send))
        if not may:
            raise AccountError("give the event types the service may send (--may)")
        key = "cpj_" + secrets.token_urlsafe(32)
        try:
            with Session(self.engine) as session:
                session.add(ServiceKey(name=name, key_hash=digest(key), may_send=may, created_at=self.clock()))
                session.commit()
        except IntegrityError:
            raise AccountError(f"there is already a key named {name} (revoke it, then create one with another name)") from None
        return key

    def service_keys(self) -> list[ServiceKey]:
        with Session(self.engine) as session:
            return list(session.exec(select(ServiceKey).order_by(ServiceKey.name)).all())

    def revoke_service_key(self, name: str) -> None:
        with Session(self.engine) as session:
            row = session.get(ServiceKey, name)
            if row is None:
                raise AccountError(f"there is no key named {name}")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                session.add(row)
                session.commit()

    def service_actor(self, key: str) -> Actor | None:
        """The service behind a key, or ``None`` for a key unknown or revoked."""
        if not key:
            return None
        with Session(self.engine) as session:
            row = session.exec(select(ServiceKey).where(ServiceKey.key_hash == digest(key))).first()
        if row is None or row.revoked_at is not None:
            return None
        return Actor(kind="service", ref=row.name, roles=frozenset(), may_send=frozenset(row.may_send))
