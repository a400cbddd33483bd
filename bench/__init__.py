"""``make bench``: Kanalvakt measured at a whole sector's scale (see README, "Performance").

Never collected by pytest (testpaths is tests/); tests/core/test_bench.py runs the seeder small.
"""
