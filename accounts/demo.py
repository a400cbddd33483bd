"""Demo accounts: a dozen across platforms and states. Idempotent by (platform, handle)."""

from __future__ import annotations

from accounts import services
from accounts.models import Account, Platform
from core.models import User
from governance.models import OrgUnit

# (unit code, platform, name, handle, url, owner, deputies, status)
ACCOUNTS: tuple[tuple[str, str, str, str, str, str, tuple[str, ...], str], ...] = (
    (
        "kau",
        Platform.FACEBOOK_PAGE,
        "Karlstads universitet",
        "karlstadsuniversitet",
        "https://www.facebook.com/karlstadsuniversitet",
        "karin",
        ("johan",),
        Account.Status.ACTIVE,
    ),
    (
        "kau",
        Platform.INSTAGRAM,
        "Karlstads universitet",
        "karlstads_universitet",
        "https://www.instagram.com/karlstads_universitet",
        "karin",
        ("johan",),
        Account.Status.ACTIVE,
    ),
    (
        "kau",
        Platform.LINKEDIN,
        "Karlstads universitet",
        "karlstad-university",
        "https://www.linkedin.com/school/karlstad-university",
        "johan",
        ("karin",),
        Account.Status.ACTIVE,
    ),
    (
        "kau",
        Platform.YOUTUBE,
        "Karlstads universitet",
        "karlstaduniversity",
        "https://www.youtube.com/@karlstaduniversity",
        "karin",
        ("johan",),
        Account.Status.ACTIVE,
    ),
    (
        "ifi",
        Platform.INSTAGRAM,
        "Civilingenjör på Kau",
        "civing_kau",
        "https://www.instagram.com/civing_kau",
        "anna",
        ("per",),
        Account.Status.ACTIVE,
    ),
    (
        "ifi",
        Platform.FACEBOOK_PAGE,
        "Fysik vid Karlstads universitet",
        "fysikkau",
        "https://www.facebook.com/fysikkau",
        "anna",
        ("per",),
        Account.Status.ACTIVE,
    ),
    (
        "ifi",
        Platform.YOUTUBE,
        "Ingenjörsvetenskap och fysik",
        "ifi_kau",
        "https://www.youtube.com/@ifi_kau",
        "per",
        ("anna",),
        Account.Status.PAUSED,
    ),
    (
        "ifi",
        Platform.FACEBOOK_GROUP,
        "Maskiningenjör alumner",
        "maskin-alumner",
        "https://www.facebook.com/groups/maskinalumner",
        "per",
        ("anna",),
        Account.Status.CLOSED,
    ),
    (
        "hhs",
        Platform.LINKEDIN,
        "Handelshögskolan vid Karlstads universitet",
        "karlstad-business-school",
        "https://www.linkedin.com/school/karlstad-business-school",
        "sara",
        ("karin",),
        Account.Status.ACTIVE,
    ),
    (
        "hhs",
        Platform.INSTAGRAM,
        "Handelshögskolan",
        "handels_kau",
        "https://www.instagram.com/handels_kau",
        "sara",
        ("per",),
        Account.Status.CLOSING,
    ),
    (
        "klar",
        Platform.BLOG,
        "Klarälvsbloggen",
        "klaralvsbloggen",
        "https://blogg.example.kau.se/klaralven",
        "anna",
        ("sara",),
        Account.Status.ACTIVE,
    ),
    (
        "stud",
        Platform.FACEBOOK_PAGE,
        "Student vid Kau",
        "studentkau",
        "https://www.facebook.com/studentkau",
        "sara",
        ("anna",),
        Account.Status.ACTIVE,
    ),
)


def seed_accounts(people: dict[str, User], units: dict[str, OrgUnit]) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for unit_code, platform, name, handle, url, owner, deputies, status in ACCOUNTS:
        account = Account.objects.filter(platform=platform, handle=handle).first()
        if account is None:
            account = services.register_account(
                unit=units[unit_code],
                platform=platform,
                name=name,
                handle=handle,
                url=url,
                owner=people[owner],
                deputies=[people[d] for d in deputies],
                status=status,
                by=None,
            )
        accounts[handle] = account
    return accounts
