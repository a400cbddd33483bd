"""Bluesky (connectors.adapters): the account's replies, mentions, quotes and direct messages in, its
answers out as replies in the thread. connectors.bluesky.adapter holds the module's ``ADAPTER``."""

from connectors.bluesky.adapter import ADAPTER, Bluesky

__all__ = ["ADAPTER", "Bluesky"]
