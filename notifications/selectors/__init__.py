"""Reads over many rows: the register, campaign progress, exports."""
