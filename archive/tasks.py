"""The archive's background work. One line each; the work lives in the archive's modules."""
