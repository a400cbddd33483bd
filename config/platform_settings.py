"""The platform connectors' settings (connectors/), read from the environment like every other
setting and imported by config.settings: Meta's app and Graph API, and the polled platforms."""

from __future__ import annotations

import re

from core.env import EnvironmentConfigError, env_int, env_str

PRODUCTION = env_str("KANALVAKT_ENV", "development") == "production"  # as config.settings reads it

# Meta (Facebook Pages and Instagram professional accounts). The app's id and secret come from the
# Meta app the university registers (README, "Connecting Facebook and Instagram"); the webhook's
# deliveries are signed with the app secret, and its verification handshake answers only the verify
# token. Without them the webhook refuses everything (403) and accounts are connected by token only.
META_APP_ID = env_str("META_APP_ID", "")
META_APP_SECRET = env_str("META_APP_SECRET", "")
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN", "")
# Every call to Meta goes here and nowhere else (connectors/http.py): the Graph API of one version.
META_GRAPH_URL = env_str("META_GRAPH_URL", "https://graph.facebook.com/v24.0").rstrip("/")
# Where Facebook Login for Business sends the person to grant the permissions.
META_LOGIN_URL = env_str("META_LOGIN_URL", "https://www.facebook.com/v24.0/dialog/oauth").rstrip("/")
# A Login for Business configuration (Meta app dashboard); empty: the permissions are asked by scope.
META_LOGIN_CONFIG_ID = env_str("META_LOGIN_CONFIG_ID", "")
# Seconds to wait for one Graph API call, and before the first retry after a rate limit or a 5xx
# (doubling, capped; connectors/meta/graph.py).
META_GRAPH_TIMEOUT = float(env_int("META_GRAPH_TIMEOUT", 10))
META_GRAPH_RETRY_DELAY = float(env_int("META_GRAPH_RETRY_DELAY", 1))
if not (1 <= META_GRAPH_TIMEOUT <= 120 and 0 <= META_GRAPH_RETRY_DELAY <= 60):
    raise EnvironmentConfigError("META_GRAPH_TIMEOUT must be 1–120 seconds, META_GRAPH_RETRY_DELAY 0–60.")
# The polled platforms (connectors/youtube.py, linkedin.py, tiktok.py, bluesky.py, mastodon.py). Every
# call goes to the platform's configured API address (or, for Bluesky and Mastodon, the account's own
# server, checked like every outside address) through connectors/http.py.
YOUTUBE_API_URL = env_str("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3").rstrip("/")
# An API key reads public comments; answering and hiding need the channel's OAuth token (per connection).
YOUTUBE_API_KEY = env_str("YOUTUBE_API_KEY", "")
# The project's daily quota in units (10,000 unless Google granted more): spent evenly across channels.
YOUTUBE_DAILY_QUOTA = env_int("YOUTUBE_DAILY_QUOTA", 10_000)
# The installation's OAuth client in Google Cloud (a web application). With both set, a channel is
# connected with a refresh token, and Kanalvakt renews the hour-long access tokens from it at
# YOUTUBE_TOKEN_URL (connectors/youtube/auth.py); without them, an access token is pasted by hand.
YOUTUBE_CLIENT_ID = env_str("YOUTUBE_CLIENT_ID", "")
YOUTUBE_CLIENT_SECRET = env_str("YOUTUBE_CLIENT_SECRET", "")
if bool(YOUTUBE_CLIENT_ID) != bool(YOUTUBE_CLIENT_SECRET):
    raise EnvironmentConfigError("YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET are set together, or neither.")
YOUTUBE_TOKEN_URL = env_str("YOUTUBE_TOKEN_URL", "https://oauth2.googleapis.com/token").rstrip("/")
LINKEDIN_API_URL = env_str("LINKEDIN_API_URL", "https://api.linkedin.com/rest").rstrip("/")
# The Community Management API's version header (YYYYMM); LinkedIn supports each for a year.
LINKEDIN_API_VERSION = env_str("LINKEDIN_API_VERSION", "202511")
TIKTOK_API_URL = env_str("TIKTOK_API_URL", "https://business-api.tiktok.com/open_api/v1.3").rstrip("/")
# The installation's developer app in TikTok API for Business. With both set, an account is connected
# with a refresh token, and Kanalvakt renews the day-long access tokens from it
# (connectors/tiktok/auth.py); without them, an access token is pasted by hand every day.
TIKTOK_APP_ID = env_str("TIKTOK_APP_ID", "")
TIKTOK_APP_SECRET = env_str("TIKTOK_APP_SECRET", "")
if bool(TIKTOK_APP_ID) != bool(TIKTOK_APP_SECRET):
    raise EnvironmentConfigError("TIKTOK_APP_ID and TIKTOK_APP_SECRET are set together, or neither.")
# The server a Bluesky account is on unless the connection names its own (its PDS).
BLUESKY_DEFAULT_SERVER = env_str("BLUESKY_DEFAULT_SERVER", "https://bsky.social").rstrip("/")
# Seconds between two polls of one connection, per platform (within each platform's rate limits), and
# the seconds to wait for one call and before the first retry (doubling, capped).
CONNECTOR_POLL_SECONDS: dict[str, int] = {
    "youtube": env_int("POLL_SECONDS_YOUTUBE", 15 * 60),
    "linkedin": env_int("POLL_SECONDS_LINKEDIN", 5 * 60),
    "tiktok": env_int("POLL_SECONDS_TIKTOK", 5 * 60),
    "bluesky": env_int("POLL_SECONDS_BLUESKY", 2 * 60),
    "mastodon": env_int("POLL_SECONDS_MASTODON", 2 * 60),
}
if not all(30 <= seconds <= 24 * 3600 for seconds in CONNECTOR_POLL_SECONDS.values()):
    raise EnvironmentConfigError("POLL_SECONDS_<PLATFORM> must be 30 seconds to a day.")
CONNECTOR_TIMEOUT = float(env_int("CONNECTOR_TIMEOUT", 10))
CONNECTOR_RETRY_DELAY = float(env_int("CONNECTOR_RETRY_DELAY", 1))
if not (1 <= CONNECTOR_TIMEOUT <= 120 and 0 <= CONNECTOR_RETRY_DELAY <= 60 and YOUTUBE_DAILY_QUOTA >= 100):
    raise EnvironmentConfigError(
        "CONNECTOR_TIMEOUT must be 1–120 seconds, CONNECTOR_RETRY_DELAY 0–60, "
        "YOUTUBE_DAILY_QUOTA at least 100."
    )
for _name in (
    "META_GRAPH_URL",
    "META_LOGIN_URL",
    "YOUTUBE_API_URL",
    "YOUTUBE_TOKEN_URL",
    "LINKEDIN_API_URL",
    "TIKTOK_API_URL",
    "BLUESKY_DEFAULT_SERVER",
):
    if not re.fullmatch(r"https?://[^/\s?#@\\]+(/[^\s?#\\]*)?", globals()[_name]):
        raise EnvironmentConfigError(f"{_name} must be an http(s) address with no query, e.g. the default.")
    if PRODUCTION and not globals()[_name].startswith("https://"):
        raise EnvironmentConfigError(f"{_name} must be https in production.")
