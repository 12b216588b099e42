"""Where each local service listens, from one base port."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Ports:
    base: int
    host: str = "127.0.0.1"

    @property
    def api(self) -> int:
        return self.base

    @property
    def websocket(self) -> int:
        return self.base + 1

    @property
    def cdn(self) -> int:
        return self.base + 2

    @property
    def demo_site(self) -> int:
        return self.base + 3

    @property
    def moto(self) -> int:
        return self.base + 4

    @property
    def stripe(self) -> int:
        """The fake Stripe (billing's TEST MODE): API, checkout and portal pages."""
        return self.base + 5

    @property
    def push(self) -> int:
        """The fake Web Push service (what FCM / Mozilla's autopush do for browsers)."""
        return self.base + 6

    @property
    def messengers(self) -> int:
        """The fake messenger platforms: Telegram's Bot API and Facebook's Graph API."""
        return self.base + 7

    def url(self, port: int, scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{port}"
