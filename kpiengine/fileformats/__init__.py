"""The reading layer: how exports write files, numbers, dates and missing values."""
