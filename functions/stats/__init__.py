"""Counters kept off the redirect path, and the leaderboards read from them."""
