# SPDX-License-Identifier: Apache-2.0
"""torchrun, as the tests run it.

Debian 12's python3-torch (1.13) ships a torchrun that fails at once on
its Python 3.11: Std.from_str compares the IntFlag members with `==`
against an int, which 3.11's enum no longer makes true, so every redirect
setting comes back None ("'NoneType' object has no attribute 'get'").
Where that is so, from_str is given a lookup by value, the same mapping;
anything else is torchrun's own code (torch.distributed.run.main).
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main


def _from_str(vm):
    def to_std(v):
        return api.Std(int(v))

    if re.fullmatch(r"[0-3]", vm):
        return to_std(vm)
    if re.fullmatch(r"(\d:[0-3],)*(\d:[0-3])", vm):
        return {int(i): to_std(v) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError("%s is not a redirect setting" % vm)


if api.Std.from_str("0") is None:
    api.Std.from_str = staticmethod(_from_str)

if __name__ == "__main__":
    sys.exit(main())
