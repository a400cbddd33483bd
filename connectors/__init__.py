"""The platform connectors: comments and messages in from the platforms, answers and removals out.

Its place in the layers (CONTRIBUTING.md, "Layers"): beside governance and moderation, above
accounts. It may use moderation (items are received through moderation's services); it never imports
governance or archive, and nothing below it imports it. Platform-specific code lives only here.
"""
