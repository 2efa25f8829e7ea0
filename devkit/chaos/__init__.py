"""The fault suite's harness: drive many live calls, break things, judge what the calls got.

``ledger`` records what senders were told was accepted; ``judge`` (pure) holds
that against what the remote applied; ``senders`` send one item as the
contract asks, ``load`` drives them over many calls, ``flood`` overwhelms the ingress;
``observe`` reads transcripts and topics; the scenarios run the services as
processes through ``devkit.dev.pipeline`` and kill, restart, add and measure
them through its ``Stack``; ``broker`` is a broker a scenario may kill;
``poison`` builds hostile records; ``scenarios`` are the faults; ``report`` renders the table.
``python -m devkit.chaos`` (``make chaos``) runs every scenario.
"""
