"""Retention: texts blanked after ``[retention] text_days``, audit entries deleted after
``audit_days`` (processed events: :mod:`bot.jobs.builtin`, after ``processed_days``), and what is
shown in place of a text that is gone."""
