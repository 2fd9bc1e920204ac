"""Live updates: who changed which part of a plan, sent to the people who have it open.

Events go through Litestar channels: in memory within one app process by default, over Redis
pub/sub when `PORTAL_REDIS_URL` is set, so that several app instances behind one address share
them. An event carries ids, a section key, a version and who made the change, never content: a
client that is told a section changed reads it again through the API, which asks the access
decision as always. Each event is also checked against the access decision before it is sent.
"""
