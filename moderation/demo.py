"""Demo items placed around the last weekend and the last weekday holiday, so that the deadline
rules can be seen (KAU-RESPONSE-DEADLINE). Idempotent by (account, platform id)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from accounts.models import Account
from core.models import User
from moderation import services
from moderation.deadlines import STOCKHOLM, SWEDISH_CALENDAR
from moderation.models import Item


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


def seed_items(people: dict[str, User], accounts: dict[str, Account], *, now: datetime) -> int:
    today = now.astimezone(STOCKHOLM).date()
    saturday = _last_weekday(today, 5)  # strictly before today, so every demo item lies in the past
    friday = saturday - timedelta(days=1)
    holiday = _last_weekday_holiday(today)
    before_holiday = holiday - timedelta(days=1)
    while not SWEDISH_CALENDAR.is_working_day(before_holiday):
        before_holiday -= timedelta(days=1)
    civing, fysik, kau_fb, handels = (
        accounts["civing_kau"],
        accounts["fysikkau"],
        accounts["karlstadsuniversitet"],
        accounts["handels_kau"],
    )
    rows = [
        # (account, platform id, kind, author, text, received, handled by)
        (
            civing,
            "demo-fri-1",
            Item.Kind.COMMENT,
            "@elin.s",
            "Hej! När öppnar antagningen till civilingenjörsprogrammet i höst?",
            _at(friday, 15, 0),
            None,
        ),
        (
            civing,
            "demo-sat-1",
            Item.Kind.MESSAGE,
            "@jonte_02",
            "Går det att gå en prova-på-dag innan man söker?",
            _at(saturday, 11, 0),
            None,
        ),
        (
            fysik,
            "demo-fri-2",
            Item.Kind.COMMENT,
            "Karl Persson",
            "Spännande föreläsning i torsdags! Finns bilderna någonstans?",
            _at(friday, 9, 30),
            "anna",
        ),
        (
            fysik,
            "demo-hol-1",
            Item.Kind.COMMENT,
            "Ulla Ek",
            "Är biblioteket öppet under helgdagen?",
            _at(before_holiday, 16, 45),
            None,
        ),
        (
            kau_fb,
            "demo-hol-2",
            Item.Kind.POST,
            "Studentkåren",
            "Vi ses på välkomstmässan! Vilken tid öppnar ni montern?",
            _at(holiday, 10, 15),
            None,
        ),
        (
            handels,
            "demo-today-1",
            Item.Kind.COMMENT,
            "@ekonom_linnea",
            "Hur söker man utbytesstudier till våren?",
            now - timedelta(hours=2),
            None,
        ),
    ]
    created = 0
    for account, platform_id, kind, author, text, received_at, handled_by in rows:
        if received_at > now or Item.objects.filter(account=account, platform_id=platform_id).exists():
            continue
        item = services.log_item(
            account,
            kind=kind,
            author=author,
            text=text,
            received_at=received_at,
            platform_id=platform_id,
            by=people["anna"],
        )
        if handled_by:
            services.answer_item(
                item, answer="Tack! Bilderna finns på kursens webbsida.", by=people[handled_by], now=received_at + timedelta(hours=3)
            )
        created += 1
    return created
