"""One module per sheet of the pack; ``_table`` is the streaming table they share."""
