"""Screenshots, diary packages and archive exports (KAU-DIARY-*, KAU-STARTPAGE)."""
