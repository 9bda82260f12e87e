"""The static site: pages rendered from the library and leaderboards, published to the site bucket."""
