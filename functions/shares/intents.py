"""Share-intent URLs: where the browser goes to post a short link with suggested text."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def intent_url(network: str, short_url: str, text: str, title: str) -> str:
    body = f"{text} {short_url}".strip()
    if network == "linkedin":
        # LinkedIn's feed composer takes the whole post text; share-offsite would drop the text.
        return "https://www.linkedin.com/feed/?" + urlencode({"shareActive": "true", "text": body})
    if network == "x":
        return "https://x.com/intent/post?" + urlencode({"text": text, "url": short_url})
    if network == "facebook":
        # Facebook ignores prefilled text by policy; the quote travels for clients that still read it.
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": short_url, "quote": text})
    if network == "whatsapp":
        return "https://wa.me/?" + urlencode({"text": body})
    if network == "email":
        return f"mailto:?subject={quote(title)}&body={quote(body)}"
    raise ValueError(f"unsupported network: {network}")
