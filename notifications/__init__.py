"""Who must be told and how: filings, notices, letters, emails and their delivery."""
