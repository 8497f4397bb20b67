"""Import of data subject files: reading, validation, normalisation and storage, all or nothing."""
