"""The deadline sweep's batch on PostgreSQL, written by the database itself (KAU-RESPONSE-DEADLINE).

``moderation.sweep._sweep_batch`` is the sweep's batch in Python: it reads the claimed items,
builds each alert, log entry and e-mail and inserts them in bulk. On PostgreSQL the same batch is
one statement: the alerts, their log entries and their e-mails are inserted by ``INSERT … SELECT``
over the claimed ids, the e-mails' subjects and bodies formatted by ``format()`` from the texts
translated once in Python, and a second statement moves each item's ``alert_after`` on. Nothing is
done per row in Python, so a batch costs what the database's writes cost.

Both paths write the same rows, byte for byte: ``tests/moderation/test_sweep.py`` runs each over the
same items and compares every alert, log entry and e-mail. Change one, change the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import Account
from accounts.selectors import heads_of
from core.digests import ALWAYS_AT_ONCE, digest_schedule
from moderation.models import Alert, Item

# The SQL names the kinds, targets and actions by their values ('due', 'limit', 'owners',
# 'head_lead', 'reminded', 'limit_passed', 'other'): a test holds them to the models' choices.
# The order of the body's placeholders as format()'s arguments: %1$s is the kind, and so on.
BODY_PARAMS = ("kind", "author", "name", "platform", "due", "limit", "owner")
SUBJECT_PARAMS = ("kind", "account")
EXCERPT = 300  # characters of the item's text quoted in the e-mail; longer texts end in "…"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def positional(text: str, names: Sequence[str]) -> str:
    """A Python ``%(name)s`` text as a PostgreSQL ``format()`` text (``%1$s``); ``%%`` means % in both."""
    return _PLACEHOLDER.sub(lambda match: f"%{names.index(match.group(1)) + 1}$s", text)


_STATEMENT = r"""
WITH claimed AS (
    SELECT i.*, i.due_at AT TIME ZONE %(tz)s AS due_local, i.limit_at AT TIME ZONE %(tz)s AS limit_local
    FROM moderation_item i WHERE i.id = ANY(%(ids)s::bigint[])
),
heads AS (
    SELECT * FROM unnest(%(head_accounts)s::bigint[], %(head_users)s::bigint[]) AS h(account_id, user_id)
),
wanted AS (
    SELECT c.id AS item_id, k.kind, k.target
    FROM claimed c
    CROSS JOIN (VALUES ('due', 'owners', 1),
                       ('limit', 'head_lead', 2))
               AS k(kind, target, step)
    WHERE c.handled_at IS NULL
      AND CASE k.step WHEN 1 THEN c.due_at ELSE c.limit_at END <= %(now)s
      AND NOT EXISTS (SELECT 1 FROM moderation_alert a WHERE a.item_id = c.id AND a.kind = k.kind)
),
alerts AS (
    INSERT INTO moderation_alert
        (item_id, kind, target, created_at, created_by_id, note, head_id, acknowledged_at, acknowledged_by_id)
    SELECT w.item_id, w.kind, w.target, %(now)s, NULL, '',
           CASE WHEN w.kind = 'limit' THEN h.user_id END, NULL, NULL
    FROM wanted w
    JOIN claimed c ON c.id = w.item_id
    LEFT JOIN heads h ON h.account_id = c.account_id
    ORDER BY w.item_id, w.kind
    RETURNING item_id, kind
),
logged AS (
    INSERT INTO moderation_logentry (item_id, action, actor_id, at, note, before, after)
    SELECT c.id,
           CASE a.kind WHEN 'due' THEN 'reminded'
                       ELSE 'limit_passed' END,
           NULL, %(now)s, '', '{}'::jsonb,
           jsonb_build_object(
               'status', c.status, 'classification', c.classification,
               'prohibited', COALESCE((SELECT jsonb_agg(p ORDER BY p)
                                       FROM jsonb_array_elements(c.prohibited) AS p), '[]'::jsonb),
               'pile_on_risk', c.pile_on_risk, 'threat', c.threat,
               'requires_registration', c.requires_registration,
               'registration', c.registration, 'answer', c.answer,
               'close_reason', c.close_reason, 'evidence_id', c.evidence_id)
    FROM alerts a JOIN claimed c ON c.id = a.item_id
    RETURNING 1
),
people AS (
    -- The reminder reaches the owner and the deputies; the escalation the head and the social media
    -- leads (moderation.routing.recipients). Ranked as the Python path lists them.
    SELECT a.item_id, a.kind, u.id AS user_id, btrim(u.email) AS email, r.rank, r.pos,
           u.first_name, u.last_name, u.username
    FROM alerts a
    JOIN claimed c ON c.id = a.item_id
    JOIN LATERAL (
        SELECT acc.owner_id AS user_id, 0 AS rank, 0::bigint AS pos
        FROM accounts_account acc WHERE acc.id = c.account_id AND a.kind = 'due'
        UNION ALL
        SELECT d.user_id, 1, 0 FROM accounts_account_deputies d
        WHERE d.account_id = c.account_id AND a.kind = 'due'
        UNION ALL
        SELECT h.user_id, 0, 0 FROM heads h
        WHERE h.account_id = c.account_id AND h.user_id IS NOT NULL AND a.kind = 'limit'
        UNION ALL
        SELECT l.user_id, 1, l.pos FROM unnest(%(leads)s::bigint[]) WITH ORDINALITY AS l(user_id, pos)
        WHERE a.kind = 'limit'
    ) r ON true
    JOIN core_user u ON u.id = r.user_id
    WHERE u.is_active AND btrim(u.email) <> ''
),
recipients AS (
    SELECT DISTINCT ON (item_id, kind, lower(email)) item_id, kind, user_id, email, rank, pos,
           first_name, last_name, username
    FROM people
    ORDER BY item_id, kind, lower(email), rank, pos, first_name, last_name, username
),
texts AS (
    SELECT r.item_id, r.kind, r.user_id, r.email,
           (%(kind_labels)s::text[])[array_position(%(kinds)s::text[], c.kind::text)] AS kind_label,
           acc.name AS account_name,
           c.author, c.text,
           CASE WHEN acc.platform = 'other' AND acc.platform_other <> ''
                THEN acc.platform_other
                ELSE COALESCE((%(platform_labels)s::text[])
                                  [array_position(%(platforms)s::text[], acc.platform::text)],
                              acc.platform) END AS platform,
           to_char(c.due_local, 'FMDD') || ' ' || (%(months)s::text[])[extract(month FROM c.due_local)::int]
               || ' ' || to_char(c.due_local, 'YYYY HH24:MI') AS due,
           to_char(c.limit_local, 'FMDD') || ' '
               || (%(months)s::text[])[extract(month FROM c.limit_local)::int]
               || ' ' || to_char(c.limit_local, 'YYYY HH24:MI') AS "limit",
           COALESCE(NULLIF(btrim(o.first_name || ' ' || o.last_name), ''), o.username) AS owner
    FROM recipients r
    JOIN claimed c ON c.id = r.item_id
    JOIN accounts_account acc ON acc.id = c.account_id
    JOIN core_user o ON o.id = acc.owner_id
)
INSERT INTO core_notification
    (key, recipient_id, email, subject, body, url, kind, created_at, sent_at, attempts, last_error, read_at,
     attachments, digest_at)
SELECT 'item:' || t.item_id || ':' || t.kind || ':' || t.user_id,
       t.user_id,
       t.email,
       left(regexp_replace(btrim(format(
           CASE t.kind WHEN 'due' THEN %(subject_due)s ELSE %(subject_limit)s END,
           t.kind_label, t.account_name)), '\\s+', ' ', 'g'), 255),
       format(CASE t.kind WHEN 'due' THEN %(due_first)s ELSE %(limit_first)s END,
              t.kind_label, t.author, t.account_name, t.platform, t.due, t."limit", t.owner)
       || E'\n\n«'
       || CASE WHEN char_length(t.text) > %(excerpt)s THEN left(t.text, %(excerpt)s - 1) || '…'
               ELSE t.text END
       || E'»\n\n'
       || CASE t.kind WHEN 'due' THEN %(due_rule)s || E'\n\n' || %(due_link)s
                      ELSE %(limit_rule)s || E'\n\n' || %(limit_link)s END,
       %(url_prefix)s || t.item_id || %(url_suffix)s,
       'item_' || t.kind,
       %(now)s, NULL, 0, '', NULL, '[]'::jsonb,
       -- The person's choice for this kind of e-mail (core.digests): at once, or in a digest.
       CASE WHEN NOT ('item_' || t.kind = ANY(%(at_once)s::text[]))
            THEN CASE np.cadence WHEN 'hourly' THEN %(hourly_at)s::timestamptz
                                 WHEN 'daily' THEN %(daily_at)s::timestamptz END END
FROM texts t
LEFT JOIN core_notificationpreference np ON np.person_id = t.user_id AND np.kind = 'item_' || t.kind
ORDER BY t.item_id, t.kind, t.user_id
ON CONFLICT DO NOTHING
"""

_MOVE_ON = r"""
UPDATE moderation_item i SET alert_after = CASE
    WHEN i.handled_at IS NOT NULL
      OR EXISTS (SELECT 1 FROM moderation_alert a
                 WHERE a.item_id = i.id AND a.kind = 'limit')
        THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM moderation_alert a
                     WHERE a.item_id = i.id AND a.kind = 'due')
        THEN i.due_at
    ELSE i.limit_at END
WHERE i.id = ANY(%(ids)s::bigint[])
"""

_SENTINEL = 987654321


def sweep_batch(
    claimed: Sequence[tuple[int, int]],
    *,
    now: datetime,
    leads: Sequence[int],
    texts: Any,
    heads: dict[int, int | None] | None = None,
    digests: dict[str, datetime | None] | None = None,
) -> int:
    """Write the reminders and escalations of the claimed items, ``(item id, account id)`` pairs held
    by the caller's transaction, and move each item's ``alert_after`` on. ``leads`` are the ids of
    the active social media leads, in order; ``texts`` the deadline texts in the institution's
    language (``moderation.routing.deadline_texts``); ``heads`` the head of unit's id per account
    id, filled here as accounts come up and kept by the caller for the run; ``digests`` the next digest
    time per cadence (core.digests.digest_schedule), read once per run. Returns how many e-mails
    were written."""
    digests = digests if digests is not None else digest_schedule(now)
    ids = [item_id for item_id, _account in claimed]
    heads = {} if heads is None else heads  # the run's: an account's head is read once per run
    missing = {account for _item, account in claimed} - heads.keys()
    if missing:
        accounts = list(Account.objects.filter(pk__in=missing).select_related("unit"))
        heads.update({pk: head.pk if head else None for pk, head in heads_of(accounts).items()})
    url = reverse("moderation:item", args=[_SENTINEL])
    prefix, _sentinel, suffix = url.partition(str(_SENTINEL))
    kinds = list(texts.kinds)
    platforms = list(texts.platforms)
    params: dict[str, Any] = {
        "ids": ids,
        "now": now,
        "excerpt": EXCERPT,
        "tz": settings.TIME_ZONE,
        "head_accounts": list(heads),
        "head_users": list(heads.values()),
        "leads": list(leads),
        "months": list(texts.months[1:]),
        "kinds": kinds,
        "kind_labels": [texts.kinds[kind] for kind in kinds],
        "platforms": platforms,
        "platform_labels": [texts.platforms[platform] for platform in platforms],
        "subject_due": positional(texts.subjects[Alert.Kind.DUE], SUBJECT_PARAMS),
        "subject_limit": positional(texts.subjects[Alert.Kind.LIMIT], SUBJECT_PARAMS),
        "due_first": positional(texts.due[0], BODY_PARAMS),
        "due_rule": texts.due[1],
        "due_link": texts.due[2],
        "limit_first": positional(texts.limit[0], BODY_PARAMS),
        "limit_rule": texts.limit[1],
        "limit_link": texts.limit[2],
        "url_prefix": prefix,
        "url_suffix": suffix,
        "at_once": sorted(ALWAYS_AT_ONCE),
        "hourly_at": digests.get("hourly"),
        "daily_at": digests.get("daily"),
    }
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENT, params)
        written = cursor.rowcount
        cursor.execute(_MOVE_ON, {"ids": ids})
    return max(written, 0)


def claimable(now: datetime) -> QuerySet[Item, tuple[int, int]]:
    """The batch's claim as ``(item id, account id)`` pairs: the same rows, order and locks as
    ``moderation.sweep.claimable`` (item_alert_after_idx), without loading the items."""
    return (
        Item.objects.alert_due(now)
        .select_for_update(skip_locked=True)
        .order_by("alert_after", "pk")
        .values_list("pk", "account_id")
    )


def claim(now: datetime, batch: int) -> list[tuple[int, int]]:
    return list(claimable(now)[:batch])
