"""The profile guide and the check of a requested account against it (KAU-PROFILE-GUIDE, KAU-SENDER).

Pure: no database. Every cell of the guide is proven both ways, as the policy gives it:

| sender type | profile | Facebook | Instagram | LinkedIn | other |
|---|---|---|---|---|---|
| Ämne | Kau | group/page | name_kau | none | none |
| Intern miljö/projekt | Kau or own | group/page | name_kau | none | none |
| Internt projekt | Kau | group | name_kau | none | Kau or own |
| Externt projekt | own | page | project name | none | own |
| Undervarumärke | own | page | name | own | own |
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from accounts.models import Platform
from governance.profile_guide import (
    DEFAULT_GUIDE_PATH,
    PLATFORMS,
    Deviation,
    ProfilePicture,
    SenderType,
    check_profile,
    guide_table,
    read_guide,
)

SUBJECT, ENVIRONMENT = SenderType.SUBJECT.value, SenderType.INTERNAL_ENVIRONMENT.value
INTERNAL, EXTERNAL, SUB_BRAND = (
    SenderType.INTERNAL_PROJECT.value,
    SenderType.EXTERNAL_PROJECT.value,
    SenderType.SUB_BRAND.value,
)
UNIVERSITY, OWN = ProfilePicture.UNIVERSITY.value, ProfilePicture.OWN.value
OTHERS = {"youtube", "x", "tiktok", "bluesky", "mastodon", "blog", "other"}

# The guide, written out by hand from the policy: the platforms each sender type may have, and what
# asking for each of the others is called.
ALLOWED_PLATFORMS: dict[str, set[str]] = {
    SUBJECT: {"facebook_page", "facebook_group", "instagram"},
    ENVIRONMENT: {"facebook_page", "facebook_group", "instagram"},
    INTERNAL: {"facebook_group", "instagram", *OTHERS},
    EXTERNAL: {"facebook_page", "instagram", *OTHERS},
    SUB_BRAND: {"facebook_page", "instagram", "linkedin", *OTHERS},
}
WRONG_FACEBOOK_KIND = {
    (INTERNAL, "facebook_page"),
    (EXTERNAL, "facebook_group"),
    (SUB_BRAND, "facebook_group"),
}


def allowed_pictures(sender_type: str, platform: str) -> set[str]:
    """The profile column; the logo is fine wherever the guide allows an own picture (KAU-SENDER)."""
    if sender_type == SUBJECT:
        return {UNIVERSITY}
    if sender_type == INTERNAL:
        return {UNIVERSITY, OWN} if platform in OTHERS else {UNIVERSITY}
    return {UNIVERSITY, OWN}


def codes(deviations: list[Deviation]) -> list[str]:
    return [deviation.code for deviation in deviations]


def check(sender_type: str, platform: str, *, handle: str = "", profile_picture: str = "") -> list[Deviation]:
    return check_profile(
        sender_type=sender_type, platform=platform, handle=handle, profile_picture=profile_picture
    )


@pytest.fixture(autouse=True)
def _fresh_guide() -> Iterator[None]:
    read_guide.cache_clear()
    yield
    read_guide.cache_clear()


@pytest.fixture
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def write_guide(tmp_path: Path, data: Any, name: str = "guide.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def kau_guide() -> dict[str, Any]:
    return json.loads(DEFAULT_GUIDE_PATH.read_text(encoding="utf-8"))


# --- The platforms ----------------------------------------------------------------------------------


def test_the_module_knows_exactly_the_platforms_of_the_registry() -> None:
    assert set(PLATFORMS) == set(Platform.values)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sender_type", SenderType.values)
def test_kau_profile_guide_platform_cell(sender_type: str, platform: str) -> None:
    """KAU-PROFILE-GUIDE: each sender type may have exactly the platforms of its row."""
    found = codes(check(sender_type, platform))
    if platform in ALLOWED_PLATFORMS[sender_type]:
        assert found == []
    elif (sender_type, platform) in WRONG_FACEBOOK_KIND:
        assert found == ["facebook_kind"]
    else:
        assert found == ["platform"]


def test_linkedin_for_a_subject_is_a_deviation_from_kau_profile_guide(english: None) -> None:
    [deviation] = check(SUBJECT, "linkedin", handle="civing")
    assert deviation.code == "platform"
    assert deviation.rule == "KAU-PROFILE-GUIDE"
    assert "LinkedIn" in deviation.message
    assert "Subject" in deviation.message
    assert "KAU-PROFILE-GUIDE" in deviation.message


def test_a_facebook_page_for_an_internal_project_is_a_deviation_kau_profile_guide(english: None) -> None:
    [deviation] = check(INTERNAL, "facebook_page")
    assert deviation.code == "facebook_kind"
    assert "group, not a page" in deviation.message
    assert "not an account of its own" in deviation.message


def test_a_facebook_group_for_a_sub_brand_is_a_deviation_kau_profile_guide(english: None) -> None:
    [deviation] = check(SUB_BRAND, "facebook_group")
    assert deviation.code == "facebook_kind"
    assert "page, not a group" in deviation.message


# --- The handle ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sender_type", [SUBJECT, ENVIRONMENT, INTERNAL])
def test_kau_profile_guide_instagram_handle_without_kau_is_a_deviation(
    sender_type: str, english: None
) -> None:
    [deviation] = check(sender_type, "instagram", handle="civing_studentliv")
    assert deviation.code == "handle"
    assert deviation.rule == "KAU-PROFILE-GUIDE"
    assert "_kau" in deviation.message
    assert "civing_studentliv" in deviation.message


@pytest.mark.parametrize("sender_type", [SUBJECT, ENVIRONMENT, INTERNAL])
@pytest.mark.parametrize(
    "handle", ["civing_kau", "CivIng_KAU", "@civing_kau", "  @Civing.Studentliv_Kau ", "fysik_2_kau"]
)
def test_kau_profile_guide_instagram_handle_is_compared_without_case_or_at(
    sender_type: str, handle: str
) -> None:
    assert check(sender_type, "instagram", handle=handle) == []


@pytest.mark.parametrize(
    "handle", ["_kau", "@_kau", "civing_kau_", "civingkau", "civing-kau", "civing kau", "kau_civing"]
)
def test_kau_profile_guide_handle_must_end_in_a_name_and_kau(handle: str) -> None:
    assert codes(check(SUBJECT, "instagram", handle=handle)) == ["handle"]


@pytest.mark.parametrize("sender_type", [SUBJECT, ENVIRONMENT, INTERNAL, EXTERNAL, SUB_BRAND])
@pytest.mark.parametrize("handle", ["", "   ", "@"])
def test_an_empty_handle_is_not_a_deviation(sender_type: str, handle: str) -> None:
    """The form requires the handle; the guide check does not turn a missing one into a breach."""
    assert check(sender_type, "instagram", handle=handle) == []


@pytest.mark.parametrize("sender_type", [EXTERNAL, SUB_BRAND])
def test_kau_profile_guide_projects_and_sub_brands_name_their_instagram_freely(sender_type: str) -> None:
    assert check(sender_type, "instagram", handle="solarcity2030") == []


def test_the_kau_handle_rule_is_instagrams_alone() -> None:
    assert check(SUBJECT, "facebook_page", handle="Civilingenjör i Karlstad") == []


# --- The profile picture ----------------------------------------------------------------------------


@pytest.mark.parametrize("picture", ProfilePicture.values)
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("sender_type", SenderType.values)
def test_kau_sender_profile_picture_cell(sender_type: str, platform: str, picture: str) -> None:
    """KAU-SENDER: the university's logo unless the guide makes an exception for the cell."""
    deviations = [
        d for d in check(sender_type, platform, profile_picture=picture) if d.code == "profile_picture"
    ]
    if picture in allowed_pictures(sender_type, platform):
        assert deviations == []
    else:
        assert [d.rule for d in deviations] == ["KAU-SENDER"]


def test_kau_sender_own_picture_for_a_subject_is_a_deviation(english: None) -> None:
    [deviation] = check(SUBJECT, "instagram", handle="civing_kau", profile_picture=OWN)
    assert deviation.code == "profile_picture"
    assert deviation.rule == "KAU-SENDER"
    assert "the university's logo" in deviation.message
    assert "KAU-SENDER" in deviation.message


def test_kau_sender_an_internal_project_may_use_its_own_picture_only_on_other_platforms() -> None:
    assert codes(check(INTERNAL, "facebook_group", profile_picture=OWN)) == ["profile_picture"]
    assert check(INTERNAL, "youtube", profile_picture=OWN) == []


def test_every_departure_is_reported_once_each() -> None:
    found = codes(check(SUBJECT, "linkedin", handle="civing", profile_picture=OWN))
    assert found == ["platform", "profile_picture"]
    found = codes(check(SUBJECT, "instagram", handle="civing", profile_picture=OWN))
    assert found == ["handle", "profile_picture"]


def test_an_unknown_or_empty_choice_is_left_to_the_form() -> None:
    assert check("", "instagram") == []
    assert check("club", "instagram") == []
    assert check(SUBJECT, "myspace") == []
    assert check(SUBJECT, "instagram", profile_picture="cat") == []


def test_deviations_are_plain_text_so_they_can_be_stored() -> None:
    [deviation] = check(SUBJECT, "linkedin")
    assert type(deviation.message) is str
    json.dumps(deviation.__dict__)


def test_messages_follow_the_active_language() -> None:
    with translation.override("en"):
        [english_message] = check(SUBJECT, "facebook_page", profile_picture=OWN)
    with translation.override("sv"):
        [swedish_message] = check(SUBJECT, "facebook_page", profile_picture=OWN)
    assert "Facebook page" in english_message.message
    assert "Facebooksida" in swedish_message.message


# --- The table --------------------------------------------------------------------------------------


def test_kau_profile_guide_table_shows_the_whole_guide(english: None) -> None:
    rows = {row["sender_type"]: row for row in guide_table()}
    assert list(rows) == SenderType.values
    assert rows[SUBJECT] == {
        "sender_type": SUBJECT,
        "label": "Subject",
        "profile": "The university's logo",
        "facebook": "Group or page",
        "instagram": "Handle of the form namn_kau",
        "linkedin": "None",
        "other": "None",
    }
    assert rows[ENVIRONMENT]["profile"] == "The university's logo or a profile picture of its own"
    assert (rows[ENVIRONMENT]["facebook"], rows[ENVIRONMENT]["other"]) == ("Group or page", "None")
    assert rows[INTERNAL]["profile"] == "The university's logo"
    assert rows[INTERNAL]["facebook"] == "Group only"
    assert rows[INTERNAL]["instagram"] == "Handle of the form namn_kau"
    assert rows[INTERNAL]["linkedin"] == "None"
    assert rows[INTERNAL]["other"] == (
        "Allowed; profile picture: the university's logo or a profile picture of its own"
    )
    assert rows[EXTERNAL]["profile"] == "A profile picture of its own or the university's logo"
    assert rows[EXTERNAL]["facebook"] == "Page only"
    assert rows[EXTERNAL]["instagram"] == "The project's name"
    assert (rows[EXTERNAL]["linkedin"], rows[EXTERNAL]["other"]) == ("None", "Allowed")
    assert rows[SUB_BRAND]["facebook"] == "Page only"
    assert rows[SUB_BRAND]["instagram"] == "The brand's name"
    assert (rows[SUB_BRAND]["linkedin"], rows[SUB_BRAND]["other"]) == ("Allowed", "Allowed")


def test_the_table_notes_come_in_the_active_language() -> None:
    with translation.override("sv"):
        rows = {row["sender_type"]: row for row in guide_table()}
    assert rows[EXTERNAL]["instagram"] == "Projektets namn"


# --- Another guide ----------------------------------------------------------------------------------


def test_kau_profile_guide_is_read_from_the_configured_file(tmp_path: Path, settings: Any) -> None:
    assert codes(check(SUBJECT, "linkedin")) == ["platform"]
    data = kau_guide()
    data["sender_types"][SUBJECT]["platforms"]["linkedin"] = {}
    data["sender_types"][SUBJECT]["platforms"]["instagram"] = {
        "handle_pattern": "ku_[a-z]+",
        "handle_example": "ku_namn",
    }
    settings.PROFILE_GUIDE_PATH = str(write_guide(tmp_path, data))
    read_guide.cache_clear()
    assert check(SUBJECT, "linkedin") == []
    assert check(SUBJECT, "instagram", handle="ku_fysik") == []
    assert codes(check(SUBJECT, "instagram", handle="fysik_kau")) == ["handle"]


def test_a_platform_left_out_of_the_guide_is_not_in_it(tmp_path: Path, settings: Any) -> None:
    data = kau_guide()
    del data["sender_types"][SUB_BRAND]["platforms"]["tiktok"]
    settings.PROFILE_GUIDE_PATH = write_guide(tmp_path, data)
    assert codes(check(SUB_BRAND, "tiktok")) == ["platform"]
    with translation.override("en"):
        other = {row["sender_type"]: row for row in guide_table()}[SUB_BRAND]["other"]
    assert (
        other
        == "YouTube: Allowed; X: Allowed; Bluesky: Allowed; Mastodon: Allowed; Blog: Allowed; Other: Allowed"
    )


def _broken(change: str) -> dict[str, Any]:
    data = kau_guide()
    rows = data["sender_types"]
    if change == "missing sender type":
        del rows[SUB_BRAND]
    elif change == "unknown sender type":
        rows["club"] = rows[SUBJECT]
    elif change == "unknown platform":
        rows[SUBJECT]["platforms"]["myspace"] = {}
    elif change == "bad pattern":
        rows[SUBJECT]["platforms"]["instagram"]["handle_pattern"] = "[a-z+_kau"
    elif change == "example against pattern":
        rows[SUBJECT]["platforms"]["instagram"]["handle_example"] = "namn"
    elif change == "unknown picture":
        rows[SUBJECT]["profile_pictures"] = ["mascot"]
    elif change == "no platforms":
        del rows[SUBJECT]["platforms"]
    elif change == "unknown key":
        rows[SUBJECT]["platforms"]["instagram"]["handle_regex"] = ".*"
    return data


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("missing sender type", "sender type(s) missing: sub_brand"),
        ("unknown sender type", "unknown sender type(s): club"),
        ("unknown platform", "unknown platform(s): myspace"),
        ("bad pattern", "handle_pattern '[a-z+_kau' is not a valid regular expression"),
        ("example against pattern", "handle_example 'namn' does not match"),
        ("unknown picture", "profile_pictures must be a non-empty list"),
        ("no platforms", 'needs a "platforms" object'),
        ("unknown key", "unknown key(s): handle_regex"),
    ],
)
def test_kau_profile_guide_a_malformed_file_is_named(
    tmp_path: Path, settings: Any, change: str, named: str
) -> None:
    path = write_guide(tmp_path, _broken(change))
    settings.PROFILE_GUIDE_PATH = str(path)
    with pytest.raises(ImproperlyConfigured) as raised:
        check(SUBJECT, "instagram")
    assert named in str(raised.value)
    assert str(path) in str(raised.value)


def test_kau_profile_guide_a_file_that_is_not_json_is_named(tmp_path: Path, settings: Any) -> None:
    settings.PROFILE_GUIDE_PATH = str(write_guide(tmp_path, "{ not json"))
    with pytest.raises(ImproperlyConfigured, match="is not valid JSON"):
        guide_table()


def test_kau_profile_guide_a_missing_file_is_named(tmp_path: Path, settings: Any) -> None:
    settings.PROFILE_GUIDE_PATH = str(tmp_path / "nowhere.json")
    with pytest.raises(ImproperlyConfigured, match=r"nowhere\.json.*cannot be read"):
        check(SUBJECT, "instagram")


def test_the_guide_file_is_read_once(tmp_path: Path, settings: Any) -> None:
    path = write_guide(tmp_path, kau_guide())
    settings.PROFILE_GUIDE_PATH = str(path)
    check(SUBJECT, "instagram")
    path.write_text("{ not json", encoding="utf-8")
    assert check(SUBJECT, "linkedin") != []
