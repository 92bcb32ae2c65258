"""Demo data. ``curated`` builds the small portfolio of ``make run`` and the browser journeys through
the services; ``bulk`` builds benchmark-scale portfolios in bulk from the same domain functions;
``cast`` holds the people both share. Both pass ``manage.py check_portfolio``.

Lives in ``milestones`` (the floor allowed to import ``projects``): demo seeding reads and writes
across projects and milestones.
"""
