"""What people are shown and what they do next: the lists the site showed, the follow-ups attributed to them."""
