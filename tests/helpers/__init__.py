"""Small programs the tests start as real processes, and the plumbing to start them."""
