"""A need followed to its end.

- :mod:`~bot.followup.routing`: ask the next colleagues (now, or when they are back), and say
  so truthfully;
- :mod:`~bot.followup.notices`: what the asker is told later, at most once a day per need;
- :mod:`~bot.followup.status`: a need's status in words (profile, App Home, follow-ups);
- :mod:`~bot.followup.evidence`: new evidence (a declaration, an offer, a return) reaching
  open needs;
- :mod:`~bot.followup.tasks`: the delayed tasks and the daily job that drive it all.
"""
