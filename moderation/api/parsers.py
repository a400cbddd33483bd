"""Reading a connector's body: JSON, refused with a 400 that names the problem whatever is sent.

DRF's own JSON parser turns a ValueError into a 400, but not what lies beside it: a body nested
deeper than the interpreter recurses raises RecursionError, and a lone UTF-16 surrogate (``"\\ud800"``)
is valid JSON but not text, so it fails only when PostgreSQL or the JSON renderer encodes it. Both
were 500s. Here each is a 400 that names the body or the field (KAU-RESPONSE-DEADLINE: a connector
must learn that its item was not taken, and why).

A body over DATA_UPLOAD_MAX_MEMORY_SIZE is never read at all: Django refuses it when the body is
first touched, and moderation.api.views answers that with a JSON 413.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser

_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyTooLarge(exceptions.APIException):
    """413: the body is larger than Kanalvakt reads (DATA_UPLOAD_MAX_MEMORY_SIZE)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self) -> None:
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        super().__init__(
            _("The body is larger than %(megabytes)s MB, the most that is read.")
            % {"megabytes": f"{megabytes:g}"}
        )


def _surrogate_in(text: str) -> str | None:
    found = _SURROGATE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def _refuse_surrogates(data: Any) -> None:
    """Refuse a lone surrogate in a field's name or in a field's text, naming the field. What lies deeper
    is refused by its field as the wrong type, in words that do not repeat it."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        code = _surrogate_in(key)
        if code:
            raise exceptions.ParseError(
                _("A field name in the body holds a lone surrogate (%(code)s), which is not text.")
                % {"code": code}
            )
        code = _surrogate_in(value) if isinstance(value, str) else None
        if code:
            raise serializers.ValidationError(
                {key: [_("Holds a lone surrogate (%(code)s), which is not text.") % {"code": code}]}
            )


class ConnectorJSONParser(JSONParser):
    """JSON as DRF reads it (strict: no NaN or Infinity), with every failure a 400 naming it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        context = parser_context or {}
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(
                _("The body is not %(encoding)s text.") % {"encoding": encoding.upper()}
            ) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_int=_integer)
        except RecursionError:  # nested deeper than the interpreter recurses: no item looks like that
            raise exceptions.ParseError(_("The body is nested too deeply to be read.")) from None
        except json.JSONDecodeError as exc:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from None
        except ValueError as exc:  # NaN, Infinity, a number too long to read
            message = _("The body is not valid JSON: %(error)s.") % {"error": exc}
            raise exceptions.ParseError(message) from None
        _refuse_surrogates(data)
        return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def _integer(digits: str) -> int:
    # Python reads at most sys.get_int_max_str_digits() digits and says so in its own words.
    limit = sys.get_int_max_str_digits()
    if len(digits.lstrip("-")) > limit:
        raise ValueError(_("a number has more than %(limit)s digits") % {"limit": limit})
    return int(digits)
