"""Pure planning: facts and current role documents in, role plans out. No I/O here."""
