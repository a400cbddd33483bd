"""The profile guide (*kontoprofilguide*) and the check of an account against it (KAU-PROFILE-GUIDE).

Pure: no ORM. The guide says, per sender type, which accounts a part of the university may have and
with which profile picture. The university is the sender of every account and its logo is the
profile picture unless the guide makes an exception (KAU-SENDER).

The guide is data, not code. Karlstad University's guide is ``profile_guide.json`` beside this
module; another institution points ``settings.PROFILE_GUIDE_PATH`` at its own file of the same
shape (the file's ``description`` explains every key). A file is read and validated once per path;
a malformed one is a configuration error with the problem named, never a silently weaker check.

A deviation is not a refusal: the communications department accepts each one explicitly when it
reviews the request (KAU-START-COMMS). So ``check_profile`` only reports, in the active language,
what departs from the guide and why.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

DEFAULT_GUIDE_PATH = Path(__file__).with_name("profile_guide.json")

# The values of accounts.models.Platform, listed here so that this module imports no models. The
# two must match: a platform missing here could never be checked, and the guide file is validated
# against this list.
PLATFORMS: tuple[str, ...] = (
    "facebook_page",
    "facebook_group",
    "instagram",
    "linkedin",
    "youtube",
    "x",
    "tiktok",
    "bluesky",
    "mastodon",
    "blog",
    "other",
)
FACEBOOK_PAGE, FACEBOOK_GROUP = "facebook_page", "facebook_group"
# The columns of the guide: Facebook (page or group), Instagram, LinkedIn, and every other platform.
OTHER_PLATFORMS: tuple[str, ...] = ("youtube", "x", "tiktok", "bluesky", "mastodon", "blog", "other")

# The same source strings as accounts.models.Platform, so both share one translation; translated
# where used, in the language active then.
_PLATFORM_LABELS: Mapping[str, str] = {
    "facebook_page": gettext_noop("Facebook page"),
    "facebook_group": gettext_noop("Facebook group"),
    "instagram": gettext_noop("Instagram"),
    "linkedin": gettext_noop("LinkedIn"),
    "youtube": gettext_noop("YouTube"),
    "x": gettext_noop("X"),
    "tiktok": gettext_noop("TikTok"),
    "bluesky": gettext_noop("Bluesky"),
    "mastodon": gettext_noop("Mastodon"),
    "blog": gettext_noop("Blog"),
    "other": gettext_noop("Other"),
}


class SenderType(models.TextChoices):
    """The rows of the profile guide: which part of the university speaks (KAU-PROFILE-GUIDE).

    In the guide's own words: Ämne, Intern miljö/projekt, Internt projekt, Externt projekt,
    Undervarumärke.
    """

    SUBJECT = "subject", gettext_lazy("Subject")
    INTERNAL_ENVIRONMENT = "internal_environment", gettext_lazy("Internal environment or project")
    INTERNAL_PROJECT = "internal_project", gettext_lazy("Internal project")
    EXTERNAL_PROJECT = "external_project", gettext_lazy("External project")
    SUB_BRAND = "sub_brand", gettext_lazy("Sub-brand")


class ProfilePicture(models.TextChoices):
    """The profile picture of an account: the university's logo by default (KAU-SENDER)."""

    UNIVERSITY = "university", gettext_lazy("The university's logo")
    OWN = "own", gettext_lazy("Own profile picture")


@dataclass(frozen=True)
class Deviation:
    """One way a requested account departs from the profile guide.

    ``message`` is already translated and says what departs and why; ``code`` is stable and is what
    the communications department accepts (one deviation per code at most).
    """

    code: str
    message: str
    rule: str = "KAU-PROFILE-GUIDE"


# The guide as read from its file ---------------------------------------------------------------


@dataclass(frozen=True)
class PlatformRule:
    """What the guide says about one platform for one sender type. Absent from the guide: no rule."""

    handle_pattern: re.Pattern[str] | None = None
    handle_example: str = ""
    profile_pictures: tuple[str, ...] | None = None  # None: the sender type's own
    note: Mapping[str, str] | str = ""


@dataclass(frozen=True)
class SenderRule:
    """One row of the guide: the sender type's profile pictures and the platforms it may use."""

    profile_pictures: tuple[str, ...]
    platforms: Mapping[str, PlatformRule]

    def pictures_on(self, platform: str) -> tuple[str, ...]:
        rule = self.platforms.get(platform)
        if rule is not None and rule.profile_pictures is not None:
            return rule.profile_pictures
        return self.profile_pictures


Guide = Mapping[str, SenderRule]
_Fail = Callable[[str], ImproperlyConfigured]

_PLATFORM_KEYS = frozenset({"handle_pattern", "handle_example", "profile_pictures", "note"})
_SENDER_KEYS = frozenset({"profile_pictures", "platforms"})


def guide_path() -> Path:
    """The file the guide is read from: ``settings.PROFILE_GUIDE_PATH``, or the university's own."""
    configured = getattr(settings, "PROFILE_GUIDE_PATH", None)
    return Path(configured) if configured else DEFAULT_GUIDE_PATH


def load_guide() -> Guide:
    """The guide named by the settings, read and validated on first use of that path."""
    return read_guide(str(guide_path()))


@functools.cache
def read_guide(path: str) -> Guide:
    """The guide in the file at ``path``, validated; ImproperlyConfigured names what is wrong.

    Cached per path, so a changed PROFILE_GUIDE_PATH takes effect at once while each file is read
    only once; call ``read_guide.cache_clear()`` after editing a file in place.
    """

    def fail(problem: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"The profile guide {path} (PROFILE_GUIDE_PATH): {problem}")

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise fail(f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sender_types"), dict):
        raise fail('needs a "sender_types" object at the top')
    rows: dict[str, Any] = data["sender_types"]
    missing = [value for value in SenderType.values if value not in rows]
    if missing:
        raise fail(f"sender type(s) missing: {', '.join(missing)}")
    unknown = sorted(set(rows) - set(SenderType.values))
    if unknown:
        raise fail(f"unknown sender type(s): {', '.join(unknown)} (known: {', '.join(SenderType.values)})")
    return {sender: _sender_rule(rows[sender], where=f"sender type {sender!r}", fail=fail) for sender in rows}


def _require_object(
    raw: Any, *, keys: frozenset[str], where: str, fail: _Fail, expected: str = "an object"
) -> None:
    """``raw`` must be a JSON object with no key but ``keys``: a misspelt key is an error, not ignored."""
    if not isinstance(raw, dict):
        raise fail(f"{where} must be {expected}")
    extra = sorted(set(raw) - keys)
    if extra:
        raise fail(f"{where} has unknown key(s): {', '.join(extra)}")


def _sender_rule(raw: Any, *, where: str, fail: _Fail) -> SenderRule:
    _require_object(raw, keys=_SENDER_KEYS, where=where, fail=fail)
    pictures = _pictures(raw.get("profile_pictures"), where=f"{where}, profile_pictures", fail=fail)
    platforms_raw = raw.get("platforms")
    if not isinstance(platforms_raw, dict):
        raise fail(f'{where} needs a "platforms" object')
    unknown = sorted(set(platforms_raw) - set(PLATFORMS))
    if unknown:
        raise fail(f"{where} has unknown platform(s): {', '.join(unknown)} (known: {', '.join(PLATFORMS)})")
    platforms: dict[str, PlatformRule] = {}
    for platform, spec in platforms_raw.items():
        if spec is False or spec is None:
            continue  # not in the guide for this sender type
        platforms[platform] = _platform_rule(spec, where=f"{where}, platform {platform!r}", fail=fail)
    return SenderRule(profile_pictures=pictures, platforms=platforms)


def _platform_rule(spec: Any, *, where: str, fail: _Fail) -> PlatformRule:
    _require_object(spec, keys=_PLATFORM_KEYS, where=where, fail=fail, expected="false or an object")
    pattern: re.Pattern[str] | None = None
    example = spec.get("handle_example", "")
    if not isinstance(example, str):
        raise fail(f"{where}, handle_example must be a text")
    if "handle_pattern" in spec:
        source = spec["handle_pattern"]
        if not isinstance(source, str):
            raise fail(f"{where}, handle_pattern must be a text")
        try:
            pattern = re.compile(source, re.IGNORECASE)
        except re.error as exc:
            raise fail(
                f"{where}, handle_pattern {source!r} is not a valid regular expression ({exc})"
            ) from exc
        # The example is what the requester is shown; one that breaks the rule would mislead.
        if not example:
            raise fail(f"{where}, handle_pattern needs a handle_example")
        if not pattern.fullmatch(example):
            raise fail(f"{where}, handle_example {example!r} does not match handle_pattern {source!r}")
    pictures = None
    if "profile_pictures" in spec:
        pictures = _pictures(spec["profile_pictures"], where=f"{where}, profile_pictures", fail=fail)
    note = spec.get("note", "")
    valid_note = isinstance(note, str) or (
        isinstance(note, dict)
        and note
        and all(isinstance(k, str) and isinstance(v, str) for k, v in note.items())
    )
    if not valid_note:
        raise fail(f"{where}, note must be a text or an object of texts by language code")
    return PlatformRule(handle_pattern=pattern, handle_example=example, profile_pictures=pictures, note=note)


def _pictures(raw: Any, *, where: str, fail: _Fail) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or not raw
        or len(set(raw)) != len(raw)
        or not all(value in ProfilePicture.values for value in raw)
    ):
        raise fail(
            f"{where} must be a non-empty list of distinct values from: {', '.join(ProfilePicture.values)}"
        )
    return tuple(raw)


# The check ---------------------------------------------------------------------------------------


def _normalise_handle(handle: str) -> str:
    return handle.strip().removeprefix("@").strip()


def check_profile(*, sender_type: str, platform: str, handle: str, profile_picture: str) -> list[Deviation]:
    """How a requested account departs from the profile guide; empty when it follows it.

    Empty values and values outside the choices are not deviations: the request form requires and
    validates them, and this check must not turn a missing answer into a policy breach. Handles are
    compared case-insensitively, a leading @ ignored, as the platforms themselves do.
    """
    guide = load_guide()
    row = guide.get(sender_type)
    if row is None or platform not in PLATFORMS:
        return []
    sender_label = str(SenderType(sender_type).label)
    deviations: list[Deviation] = []
    rule = row.platforms.get(platform)
    if rule is None:
        deviations.append(_platform_deviation(row, sender_label=sender_label, platform=platform))
    elif rule.handle_pattern is not None:
        normalised = _normalise_handle(handle)
        if normalised and not rule.handle_pattern.fullmatch(normalised):
            deviations.append(
                Deviation(
                    code="handle",
                    message=gettext(
                        "The %(platform)s handle “%(handle)s” does not follow the profile guide's form "
                        "“%(example)s” for the sender type “%(sender_type)s” (KAU-PROFILE-GUIDE). The "
                        "name makes clear which part of the university is speaking (KAU-SENDER)."
                    )
                    % {
                        "platform": gettext(_PLATFORM_LABELS[platform]),
                        "handle": normalised,
                        "example": rule.handle_example,
                        "sender_type": sender_label,
                    },
                )
            )
    allowed = row.pictures_on(platform)
    if profile_picture in ProfilePicture.values and profile_picture not in allowed:
        deviations.append(
            Deviation(
                code="profile_picture",
                message=gettext(
                    "The profile guide gives a “%(sender_type)s” account on %(platform)s %(allowed)s as "
                    "its profile picture, not %(picture)s (KAU-PROFILE-GUIDE). The university is the "
                    "sender of every account, and its logo is the profile picture unless the guide makes "
                    "an exception (KAU-SENDER)."
                )
                % {
                    "sender_type": sender_label,
                    "platform": gettext(_PLATFORM_LABELS[platform]),
                    "allowed": _pictures_text(allowed),
                    "picture": _pictures_text((profile_picture,)),
                },
                rule="KAU-SENDER",
            )
        )
    return deviations


def _platform_deviation(row: SenderRule, *, sender_label: str, platform: str) -> Deviation:
    # A Facebook group is not an account of its own; a page is a separate account with its own
    # administrators. The guide tells the two apart, so asking for the wrong one is its own deviation.
    wrong_kind = None
    if platform == FACEBOOK_PAGE and FACEBOOK_GROUP in row.platforms:
        wrong_kind = gettext(
            "The profile guide gives the sender type “%(sender_type)s” a Facebook group, not a page "
            "(KAU-PROFILE-GUIDE). A page is a separate account with its own administrators; a group "
            "is not an account of its own."
        )
    elif platform == FACEBOOK_GROUP and FACEBOOK_PAGE in row.platforms:
        wrong_kind = gettext(
            "The profile guide gives the sender type “%(sender_type)s” a Facebook page, not a group "
            "(KAU-PROFILE-GUIDE). A page is a separate account with its own administrators, as the "
            "guide asks for; a group is not an account of its own."
        )
    if wrong_kind is not None:
        return Deviation(code="facebook_kind", message=wrong_kind % {"sender_type": sender_label})
    return Deviation(
        code="platform",
        message=gettext(
            "The profile guide gives the sender type “%(sender_type)s” no %(platform)s account "
            "(KAU-PROFILE-GUIDE). The university is the sender of every account, and the guide says "
            "which accounts each part of it may have."
        )
        % {"sender_type": sender_label, "platform": gettext(_PLATFORM_LABELS[platform])},
    )


# The guide as a table, for the page that shows all of it ------------------------------------------


def _pictures_text(pictures: tuple[str, ...]) -> str:
    """The pictures as words inside a sentence, in the guide's order ("the university's logo or …")."""
    words = {
        ProfilePicture.UNIVERSITY: gettext("the university's logo"),
        ProfilePicture.OWN: gettext("a profile picture of its own"),
    }
    phrases = [words[ProfilePicture(value)] for value in pictures]
    if len(phrases) == 1:
        return phrases[0]
    return gettext("%(first)s or %(second)s") % {"first": phrases[0], "second": phrases[1]}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _note_text(note: Mapping[str, str] | str) -> str:
    if isinstance(note, str):
        return note
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return note.get(language) or note.get("en") or next(iter(note.values()))


def _allowed_text(row: SenderRule, platform: str) -> str:
    rule = row.platforms[platform]
    if rule.handle_example:
        text = gettext("Handle of the form %(example)s") % {"example": rule.handle_example}
    elif rule.note:
        text = _note_text(rule.note)
    else:
        text = gettext("Allowed")
    if rule.profile_pictures is not None and rule.profile_pictures != row.profile_pictures:
        text = gettext("%(text)s; profile picture: %(pictures)s") % {
            "text": text,
            "pictures": _pictures_text(rule.profile_pictures),
        }
    return text


def _facebook_text(row: SenderRule) -> str:
    page, group = FACEBOOK_PAGE in row.platforms, FACEBOOK_GROUP in row.platforms
    if page and group:
        return gettext("Group or page")
    if group:
        return gettext("Group only")
    if page:
        return gettext("Page only")
    return gettext("None")


def _other_text(row: SenderRule) -> str:
    allowed = [platform for platform in OTHER_PLATFORMS if platform in row.platforms]
    if not allowed:
        return gettext("None")
    texts = {_allowed_text(row, platform) for platform in allowed}
    if len(allowed) == len(OTHER_PLATFORMS) and len(texts) == 1:
        return texts.pop()
    # The guide treats the other platforms alike; a guide that does not is shown platform by platform.
    return "; ".join(
        f"{gettext(_PLATFORM_LABELS[platform])}: {_allowed_text(row, platform)}" for platform in allowed
    )


def _column_text(row: SenderRule, platform: str) -> str:
    return _allowed_text(row, platform) if platform in row.platforms else gettext("None")


def guide_table() -> list[dict[str, str]]:
    """The whole guide as translated text, one row per sender type, for the guide page.

    Each row has ``sender_type`` (the key), ``label``, ``profile`` and the guide's columns
    ``facebook``, ``instagram``, ``linkedin`` and ``other`` (every platform without a column).
    """
    guide = load_guide()
    rows = []
    for sender_type in SenderType:
        row = guide[sender_type.value]
        rows.append(
            {
                "sender_type": sender_type.value,
                "label": str(sender_type.label),
                "profile": _capitalised(_pictures_text(row.profile_pictures)),
                "facebook": _facebook_text(row),
                "instagram": _column_text(row, "instagram"),
                "linkedin": _column_text(row, "linkedin"),
                "other": _other_text(row),
            }
        )
    return rows
