"""The portfolio floor: web pages and reads of the whole site that span projects *and* milestones
(landing by role, the personal calendar feed, the navigation frame).

It belongs to the composition root (top floor, pyproject.toml's import contracts): it may import
every app, and nothing but the composition root imports it."""
