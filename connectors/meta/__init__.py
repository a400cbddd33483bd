"""Meta's platforms, Facebook and Instagram: the signed webhook and the shapes of what it delivers."""
