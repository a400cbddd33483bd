"""Demo items placed around the last weekend and the last weekday holiday, so that the deadline
rules can be seen (KAU-RESPONSE-DEADLINE), with every state an item can be in: due, overdue, past the
outer limit, answered, closed without answer, removed as prohibited content with its evidence kept,
criticism routed to the head of unit and a threat routed to the security officer. Idempotent by
(account, platform id); everything goes through moderation.services, as a moderator would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw

from accounts.models import Account
from archive.services import store_evidence
from core.calendar import STOCKHOLM, SWEDISH_CALENDAR, response_deadlines
from core.models import InstitutionSettings, User
from moderation import services, sweep
from moderation.models import Classification, Item, Prohibited


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM)


def _last_weekday(today: date, weekday: int) -> date:
    days_back = (today.weekday() - weekday) % 7 or 7
    return today - timedelta(days=days_back)


def _last_weekday_holiday(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5 or SWEDISH_CALENDAR.is_working_day(day):
        day -= timedelta(days=1)
    return day


def _overdue_since(now: datetime) -> datetime:
    """A time received such that the item is past due at ``now`` but not yet past its outer limit,
    on the institution's own calendar, whatever day the demo is seeded."""
    institution = InstitutionSettings.objects.get_solo()
    calendar = institution.working_calendar()
    received = now.replace(minute=5, second=0, microsecond=0) - timedelta(hours=1)
    for _ in range(24 * 60):
        due, limit = response_deadlines(
            received,
            due_hours=institution.response_due_hours,
            limit_hours=institution.response_limit_hours,
            calendar=calendar,
        )
        if due <= now and limit > now + timedelta(hours=1):
            return received
        received -= timedelta(hours=1)
    return now - timedelta(days=2)  # unreachable with any sane calendar


def evidence_png(lines: list[str], *, width: int = 640, height: int = 220) -> bytes:
    """A plain picture of a post, as a screenshot of it would look, made with Pillow."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 36), fill=(59, 89, 152))
    draw.text((12, 12), "facebook.com", fill=(255, 255, 255))
    for number, line in enumerate(lines):
        draw.text((16, 56 + number * 22), line, fill=(20, 20, 20))
    draw.rectangle((0, 0, width - 1, height - 1), outline=(160, 160, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class DemoItem:
    account: str
    platform_id: str
    kind: str
    author: str
    text: str
    received_at: datetime
    triage: services.Triage | None = None
    # What the moderator did, and when: "answer", "close", "remove", or nothing (still open).
    outcome: str = ""
    outcome_at: datetime | None = None
    by: str = "anna"
    note: str = ""


def _demo_items(now: datetime) -> list[DemoItem]:
    today = now.astimezone(STOCKHOLM).date()
    # The last whole weekend, strictly before today, so that every demo item lies in the past.
    sunday = _last_weekday(today, 6)
    friday, saturday, monday = (
        sunday - timedelta(days=2),
        sunday - timedelta(days=1),
        sunday + timedelta(days=1),
    )
    holiday = _last_weekday_holiday(today)
    before_holiday = holiday - timedelta(days=1)
    while not SWEDISH_CALENDAR.is_working_day(before_holiday):
        before_holiday -= timedelta(days=1)
    after_holiday = SWEDISH_CALENDAR.next_working_day(holiday)
    comment, post, message = Item.Kind.COMMENT, Item.Kind.POST, Item.Kind.MESSAGE
    return [
        # Around the weekend: a Friday afternoon question counts its hours from Monday 00:00 on.
        DemoItem("civing_kau", "demo-fri-1", comment, "@elin.s",
                 "Hej! När öppnar antagningen till civilingenjörsprogrammet i höst?", _at(friday, 15, 0)),
        DemoItem("civing_kau", "demo-sat-1", message, "@jonte_02",
                 "Går det att gå en prova-på-dag innan man söker?", _at(saturday, 11, 0)),
        DemoItem("fysikkau", "demo-fri-2", comment, "Karl Persson",
                 "Spännande föreläsning i torsdags! Finns bilderna någonstans?", _at(friday, 9, 30),
                 outcome="answer", outcome_at=_at(friday, 12, 30),
                 note="Tack! Bilderna finns på kursens webbsida."),
        DemoItem("fysikkau", "demo-sun-1", comment, "@nyfiken_fysiker",
                 "Grattis till alla som disputerade i veckan!", _at(sunday, 19, 40),
                 triage=services.Triage(classification=Classification.NO_ANSWER),
                 outcome="close", outcome_at=_at(monday, 8, 5),
                 note="Ett grattis; inget att svara på."),
        # KAU-RESPONSE-CRITICISM: routed at once to the head of the account's unit.
        DemoItem("civing_kau", "demo-crit-1", post, "Oskar Lind",
                 "Det är under all kritik att labbet har varit stängt i tre veckor utan besked.",
                 _at(friday, 17, 20),
                 triage=services.Triage(classification=Classification.CRITICISM, requires_registration=True)),
        # KAU-THREAT: routed at once to the security officer, and left for the registry.
        DemoItem("karlstadsuniversitet", "demo-threat-1", comment, "anonym123",
                 "Föreläsaren i kursen ska få vad hon förtjänar på måndag. Jag vet var hon parkerar.",
                 _at(sunday, 21, 10), by="karin",
                 triage=services.Triage(
                     threat=True, prohibited=[Prohibited.INCITEMENT], requires_registration=True
                 )),
        # KAU-PROHIBITED, KAU-PROHIBITED-EVIDENCE: the screenshot is kept, then the comment is removed.
        DemoItem("fysikkau", "demo-removed-1", comment, "Troll Trollsson",
                 "Professor X är en bedragare och borde sparkas, alla vet vad han gjort.",
                 _at(saturday, 22, 40),
                 triage=services.Triage(prohibited=[Prohibited.DEFAMATION], requires_registration=True),
                 outcome="remove", outcome_at=_at(monday, 8, 20),
                 note="Personangrepp (KAU-PROHIBITED 3); skärmdump sparad."),
        # Around the last weekday holiday: the day before it, on it, and one answered after it.
        DemoItem("fysikkau", "demo-hol-1", comment, "Ulla Ek",
                 "Är biblioteket öppet under helgdagen?", _at(before_holiday, 16, 45)),
        DemoItem("karlstadsuniversitet", "demo-hol-2", post, "Studentkåren",
                 "Vi ses på välkomstmässan! Vilken tid öppnar ni montern?", _at(holiday, 10, 15), by="karin"),
        DemoItem("karlstadsuniversitet", "demo-hol-3", comment, "Maja Berg",
                 "Har växeln öppet dagen före helgdagen?", _at(before_holiday, 11, 0), by="karin",
                 outcome="answer", outcome_at=_at(after_holiday, 9, 10),
                 note="Hej Maja! Växeln har öppet som vanligt till kl. 15."),
        # Past due but not yet past the limit, wherever today falls.
        DemoItem("civing_kau", "demo-overdue-1", message, "@ida.k",
                 "Kan man byta inriktning efter första året?", _overdue_since(now)),
        # Past the outer limit: the Friday before, never answered.
        DemoItem("civing_kau", "demo-limit-1", comment, "@studiestod_undrar",
                 "Hur lång tid tar det att få besked om en dispens?", _at(friday - timedelta(days=7), 14, 0)),
        # Not yet due.
        DemoItem("handels_kau", "demo-today-1", comment, "@ekonom_linnea",
                 "Hur söker man utbytesstudier till våren?", now - timedelta(hours=2), by="sara"),
    ]  # fmt: skip


def seed_items(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    """Log the demo items that are not there yet, do to each what its moderator did, and run the
    deadline sweep once, as beat would have. Returns how many items were created."""
    created = 0
    for row in _demo_items(now):
        account = accounts[row.account]
        if (
            row.received_at > now
            or Item.objects.filter(account=account, platform_id=row.platform_id).exists()
        ):
            continue
        by = people[row.by]
        logged_at = min(now, row.received_at + timedelta(minutes=15))
        item = services.log_item(
            account,
            kind=row.kind,
            author=row.author,
            text=row.text,
            received_at=row.received_at,
            platform_id=row.platform_id,
            url=f"{account.url.rstrip('/')}/posts/{row.platform_id}" if account.url else "",
            by=by,
            now=logged_at,
            triage=row.triage,
        )
        acted_at = min(now, max(logged_at, row.outcome_at or logged_at))
        if row.outcome == "answer":
            services.answer_item(item, answer=row.note, by=by, now=acted_at)
        elif row.outcome == "close":
            services.close_item(item, reason=row.note, by=by, now=acted_at)
        elif row.outcome == "remove":
            store_evidence(
                item,
                data=evidence_png([f"{row.author}:", row.text[:70], row.text[70:140]]),
                by=by,
                now=acted_at,
                taken_at=acted_at,
            )
            services.remove_item(item, note=row.note, by=by, now=acted_at)
        created += 1
    sweep.sweep_deadlines(now=now)
    return created
