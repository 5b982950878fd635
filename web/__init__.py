"""The one-page update form for leads outside Slack, served by the web process at ``/u/TOKEN``.

- ``links``: the signed, scoped, expiring tokens in the emailed links, and the form's CSRF token;
- ``forms``: reading and checking a submitted form (pure);
- ``pages``: the HTML pages (pure, no JavaScript, no external assets);
- ``service``: the database side: what the page shows, storing a submission, queueing emails;
- ``app``: the WSGI app that ties them together.
"""
