"""The bottom layer: what every package shares, importing nothing of ours.

- `sections`: the plan's section keys and titles, in the order a plan is read;
- `actor`: who is asking, the staff roles they hold and what those roles allow in an organisation;
- `clock`: England's clock (review dates, days shown to people);
- `values`: reading ids, times and dates back the same way from SQLite and PostgreSQL;
- `money`: pence as people read them, and the largest weekly amount the portal takes.
"""
