"""How sislab's servers and runs talk to their kernels: encrypted, and without idle waits.

Used by the dashboard server (`sislab serve`), every coordinator's JupyterLab and headless runs
(`sislab run`, schedules): kernel ports are on 127.0.0.1, which every local account reaches, so
the sockets are encrypted (CurveZMQ, keys made per kernel) when the kernel says it can; a
kernelspec that does not declare `supported_encryption` runs unencrypted and ipykernel warns.
"""

from __future__ import annotations

import math
import time
from queue import Empty

from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient

TRANSPORT_ENCRYPTION = "auto"  # jupyter_client's `transport_encryption`: Curve keys when the kernel supports them
# The kernel manager settings of the dashboard server (its ServerKernelManager config) and of
# headless runs (RunKernelManager): encrypted sockets and the prompt client.
SETTINGS = {"transport_encryption": TRANSPORT_ENCRYPTION, "client_class": f"{__name__}.PromptKernelClient"}


class PromptKernelClient(AsyncKernelClient):
    """A kernel client that is ready as soon as the kernel is: jupyter_client's `wait_for_ready`
    ends by waiting 0.2 s for IOPub to stay silent, and every page waited for it once before its
    notebook ran (nbclient) and once more when it took a warm kernel (0.4 s of a page's 0.5 s).

    Ready means what it meant there: the kernel answered `kernel_info` on the shell channel and
    its IOPub messages for that request came through up to the kernel's "idle", so IOPub is
    connected and no output of the notebook's cells can be missed. A request whose IOPub "idle"
    does not come (IOPub not yet connected) is asked again, as jupyter_client does."""

    IOPUB_WAIT = 0.2  # seconds to wait for the next IOPub message of a kernel_info request

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            reply = await self._kernel_info_through(min(1.0, max(0.0, deadline - time.monotonic())))
            if reply is not None:
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _kernel_info_through(self, wait: float) -> dict | None:
        """The kernel's reply to a new kernel_info request once its IOPub "idle" came; None
        when the reply does not come within `wait` s or the "idle" within IOPUB_WAIT s."""
        msg_id = self.kernel_info()
        ends = time.monotonic() + wait
        try:
            reply = await self.shell_channel.get_msg(timeout=wait)
            while reply["parent_header"].get("msg_id") != msg_id:  # an earlier request's
                reply = await self.shell_channel.get_msg(timeout=max(0.0, ends - time.monotonic()))
            while True:
                message = await self.iopub_channel.get_msg(timeout=self.IOPUB_WAIT)
                if (message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "status"
                        and message["content"]["execution_state"] == "idle"):
                    return reply
        except Empty:
            return None


class RunKernelManager(AsyncKernelManager):
    """The kernel manager of a headless run (papermill's `kernel_manager_class`): SETTINGS, as on
    the dashboard server."""

    def __init__(self, **kwargs):
        super().__init__(**{**SETTINGS, **kwargs})
