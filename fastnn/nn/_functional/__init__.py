"""Parts of fastnn.nn.functional kept in their own files (one family each);
functional.py re-exports every name here."""
