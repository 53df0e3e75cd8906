"""The campaign (评星定级): self-evaluation, survey figures, superior evaluation,
five-star review, the campaign-wide rating with quotas, public notice and
objections, the committee's approval, municipal re-review, and the star
ledger (星级管理台账).

``models`` holds the records and their states, ``workflow`` the transition
table, ``services`` every write (one transaction each, audited), ``selectors``
the reads, ``access`` who sees what, ``scoring`` the bridge to the rating
engine and ``tasks`` the campaign-wide rating run in the background.
"""
