"""Demo accounts: a dozen across platforms and states. Idempotent by (platform, handle)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from accounts import services
from accounts.models import Account, Platform
from core.models import OrgUnit, User

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
        Account.Status.ACTIVE,  # and then closing, through the workflow (seed_registry)
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
    (
        "kau",
        Platform.BLUESKY,
        "Karlstads universitet",
        "kau.se",
        "https://bsky.app/profile/kau.se",
        "johan",
        ("karin",),
        Account.Status.ACTIVE,
    ),
    (
        "kau",
        Platform.MASTODON,
        "Karlstads universitet",
        "@kau@social.example.se",
        "https://social.example.se/@kau",
        "karin",
        ("johan",),
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


def seed_registry(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    """Follow-ups with a history to chart, confirmations, absences that leave an account uncovered,
    and the coverage job's findings. Idempotent: each part is skipped when it is already there."""
    from datetime import timedelta

    from accounts import closing, coverage, followup
    from accounts.figures import record_reading
    from accounts.models import Absence, FollowUp
    from archive.startpage import record_startpage_screenshot, taken_at_for

    today = timezone.localdate(now)
    created = 0
    civing = accounts["civing_kau"]
    if not FollowUp.objects.filter(account=civing).exists():
        # Three half-years of growth, so the account page's chart has something to show (KAU-FOLLOWUP).
        for months_ago, followers, posts, reactions, comments in (
            (18, 640, 52, 2100, 180),
            (12, 910, 61, 3050, 240),
            (6, 1280, 70, 4420, 310),
        ):
            followup.record_followup(
                civing,
                by=people["anna"],
                now=now,
                followers=followers,
                posts=posts,
                reactions=reactions,
                comments=comments,
                traffic="up",
                reaches_audiences="yes",
                keeps_up="partly",
                value_estimate="Kontot når blivande studenter till en rimlig kostnad: fyra timmar i veckan.",
                decision="continue",
                period_end=today - timedelta(days=30 * months_ago),
            )
            created += 1
    if not civing.figure_readings.exists():
        # Half a year of the platform's daily readings since the last follow-up, so that the chart
        # draws the history between follow-ups and the next follow-up opens pre-filled (KAU-FOLLOWUP).
        for days_ago in range(180, -1, -1):
            grown = 180 - days_ago
            record_reading(
                civing,
                on=today - timedelta(days=days_ago),
                counts={"followers": 1280 + 2 * grown + grown % 7, "posts_total": 400 + grown // 3},
                source="instagram",
                now=now,
            )
        created += 1
    handels = accounts["handels_kau"]
    if handels.status == Account.Status.ACTIVE and handels.closing_started_at is None:
        # KAU-CLOSE: the programme account is being closed after its follow-up said so.
        closing.start_closing(
            handels,
            reason="Programmet har slagits ihop; Handelshögskolans LinkedIn räcker.",
            by=people["helena"],
            now=now,
        )
        created += 1
    for handle in ("civing_kau", "fysikkau", "karlstadsuniversitet", "karlstads_universitet"):
        account = accounts[handle]
        if account.notice_confirmed_at is None:
            services.confirm_notice(account.pk, by=people["karin"], now=now)
            services.confirm_sender(account.pk, by=people["karin"], now=now)
            # KAU-STARTPAGE: a start page counts only with its picture, kept by the archive.
            record_startpage_screenshot(
                account,
                data=_startpage_png(account),
                by=account.owner,
                now=now,
                taken_at=taken_at_for(today - timedelta(days=40), now=now),
            )
            created += 1
    # Per and Anna are both away the same week: the YouTube account they share has nobody (KAU-RESP-DAILY).
    start = today + timedelta(days=7)
    for username in ("per", "anna"):
        if not Absence.objects.filter(person=people[username], starts_on=start).exists():
            coverage.record_absence(
                person=people[username],
                starts_on=start,
                ends_on=start + timedelta(days=4),
                kind="vacation",
                note="Semester",
                by=people[username],
                now=now,
            )
            created += 1
    created += coverage.check_coverage(now=now)
    return created


def _startpage_png(account: Account) -> bytes:
    """A plain picture standing in for a screenshot of the account's start page: the same bytes for
    the same account, so the archive keeps the file once however often the demo is seeded."""
    import io
    from pathlib import Path

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (960, 540), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 960, 90), fill=(29, 59, 94))
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    title: ImageFont.FreeTypeFont | ImageFont.ImageFont = (
        ImageFont.truetype(str(dejavu), 36) if dejavu.exists() else ImageFont.load_default()
    )
    text: ImageFont.FreeTypeFont | ImageFont.ImageFont = (
        ImageFont.truetype(str(dejavu), 24) if dejavu.exists() else ImageFont.load_default()
    )
    draw.text((30, 24), account.name, fill="white", font=title)
    draw.text((30, 130), f"{account.platform_label} · {account.handle}", fill=(30, 30, 30), font=text)
    draw.text((30, 180), account.url, fill=(60, 60, 60), font=text)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
