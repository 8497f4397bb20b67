"""What a lab (or its processor) owes after a breach besides the CNIL filing: regimes as data, their clocks."""
