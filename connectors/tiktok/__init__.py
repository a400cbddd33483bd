"""TikTok: the comments on a business account's videos, through TikTok API for Business (Accounts API).

What it does (connectors.adapters): the connection page checks the account's id and token with the
account's profile; the poll (connectors.tiktok.poll) reads the new comments and replies on the
account's recent videos, the visitors' as items and the account's own (videos, and comments with
``owner`` true) as its published record (KAU-PUBLIC-RECORD); an answer is posted as a reply in the
comment's thread, a removal hides the comment (after the evidence is kept, KAU-PROHIBITED-EVIDENCE);
the follow-up's figures come from the profile (KAU-FOLLOWUP).

The documented requests (TikTok API for Business v1.3, "Accounts" / TikTok account holders; the
portal's pages https://business-api.tiktok.com/portal/docs?id=1762228399168514 for the profile,
https://ads.tiktok.com/marketing_api/docs?id=1733327057319937 for the videos and
https://ads.tiktok.com/marketing_api/docs?id=1733329505077250 for the comments), all with the header
``Access-Token: <token>`` and the envelope ``{"code", "message", "request_id", "data"}``:

- ``GET /business/get/?business_id=…&fields=["username","display_name",…]`` → ``data`` with the
  requested fields (``followers_count``, ``videos_count``, ``total_likes``, ``is_business_account``);
- ``GET /business/video/list/?business_id=…&fields=["item_id","create_time","caption"]&cursor=…&
  max_count=…`` → ``data: {"videos": […], "cursor", "has_more"}``;
- ``GET /business/comment/list/?business_id=…&video_id=…&sort_field=create_time&sort_order=desc&
  cursor=…&max_count=…`` and ``GET /business/comment/reply/list/?…&comment_id=…`` → ``data:
  {"comments": […], "cursor", "has_more"}``;
- ``POST /business/comment/reply/create/`` JSON ``{"business_id", "video_id", "comment_id", "text"}``
  (at most 150 characters) → ``data: {"comment_id", "video_id", "create_time", "text"}``;
- ``POST /business/comment/hide/`` JSON ``{"business_id", "video_id", "comment_id", "action":
  "HIDE"}`` → ``data: {}``. ``/business/comment/delete/`` removes only the account's own comments, so
  it is not used.

Where the documentation is ambiguous, and what Kanalvakt does: the sort direction of the comment list
is ``sort_order`` in TikTok's reference and in the maintained clients, but one client names it
``sort_type``; the poll therefore never relies on the order (connectors.tiktok.poll). Whether a reply
may name a reply is not documented, so an answer to a reply goes to its thread's comment. The
return codes are read as connectors.tiktok.api says.

Access (the help on the connection page, templates/connectors/help/tiktok.html): only TikTok business
accounts; a TikTok for Business developer app approved for the Accounts API with the scopes
``user.info.basic``, ``user.info.username``, ``user.info.stats``, ``user.account.type``,
``video.list``, ``comment.list`` and ``comment.list.manage``; the account's owner authorises the app,
and the app exchanges the code for the account's ``open_id`` (the business id) and an access token
(``POST /tt_user/oauth2/token/``). The access token lives 24 hours. With the installation's app set
(``TIKTOK_APP_ID``, ``TIKTOK_APP_SECRET``) the connection's token is the refresh token, and Kanalvakt
renews the access tokens itself (``POST /tt_user/oauth2/refresh_token/``, connectors.tiktok.auth),
keeping them in the encrypted session (``Poll.session``, ``Done.session``) and a rotated refresh token
as the connection's token. Without the app, an expired access token turns the connection to "needs
attention" (TikTok's 40101–40105) until a person pastes a new one.
"""

from connectors.tiktok.adapter import ADAPTER, TikTok

__all__ = ["ADAPTER", "TikTok"]
