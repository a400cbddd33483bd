"""The connectors' JSON API for moderation items (``/api/v1/``), authenticated by API tokens."""
