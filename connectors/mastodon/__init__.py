"""Mastodon: any server, mentions polled, answers as replies (connectors.mastodon.adapter)."""

from connectors.mastodon.adapter import ADAPTER, Mastodon

__all__ = ["ADAPTER", "Mastodon"]
