#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py: writes the hand-made seeds of the wire
harnesses (bus, agency, bank) into corpus/<name>/ with a small protobuf
encoder (no protobuf package needed). Run from anywhere; rewrites only the
files it names. The text harnesses' seeds are plain files, written by
hand."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(n, v):
    return varint(n << 3) + varint(v)


def f_bytes(n, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(n << 3 | 2) + varint(len(b)) + b


def msg(*fields):
    return b"".join(fields)


def write(harness, name, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def envelope(seq, typ, data, epoch="e3b0c44298fc1c14"):
    return msg(f_bytes(1, "intake"), f_int(2, seq),
               f_bytes(3, "0f8fad5b-d9cb-469f-a165-70867728950e"),
               f_bytes(4, typ), f_bytes(5, "A-1"),
               f_bytes(6, "2026-12-03T08:00:00Z"), f_bytes(7, "clerk1"),
               f_int(8, 1), f_bytes(9, data), f_int(10, 1764748800000000),
               f_bytes(11, epoch))


def bus():
    withdrawn = msg(f_bytes(1, "A-1"), f_bytes(2, "moved away"),
                    f_bytes(3, "clerk1"))
    member = msg(f_bytes(1, "110101199003078515"), f_bytes(2, "Li Lei"))
    submitted = msg(f_bytes(1, "A-1"), f_bytes(2, "2026-12-03"),
                    f_bytes(3, "2027-01-02"), f_bytes(5, member),
                    f_bytes(11, "clerk1"), f_int(13, 1))
    hb = msg(f_int(1, 42))
    write("bus", "pub_withdrawn",
          b"\x00application.withdrawn\x00"
          + envelope(7, "application.withdrawn", withdrawn))
    write("bus", "pub_submitted",
          b"\x00application.submitted\x00"
          + envelope(8, "application.submitted", submitted))
    write("bus", "pub_heartbeat",
          b"\x00bus.heartbeat\x00" + envelope(0, "bus.heartbeat", hb))
    write("bus", "replay_request",
          b"\x01" + msg(f_int(1, 7), f_int(2, 100), f_bytes(3, "application.")))
    write("bus", "replay_reply",
          b"\x02" + msg(f_bytes(1, envelope(7, "application.withdrawn",
                                            withdrawn)),
                        f_int(2, 7), f_int(3, 9), f_int(4, 1),
                        f_bytes(6, "e3b0c44298fc1c14")))
    write("bus", "replay_error",
          b"\x02" + msg(f_bytes(5, "publisher database unavailable")))


def bank():
    ins = msg(f_bytes(1, "E2E-1"), f_int(2, 83000), f_bytes(3, "ICBC"),
              f_bytes(4, "6222020200112233445"), f_bytes(5, "Li Lei"),
              f_bytes(6, "dibao 2026-12"))
    ins2 = msg(f_bytes(1, "E2E-2"), f_int(2, 1700), f_bytes(3, "ICBC"),
               f_bytes(4, "6222020200112233446"), f_bytes(5, "Han Meimei"),
               f_bytes(6, "dibao 2026-12"))
    batch = msg(f_bytes(1, "B0123456789abcdef"), f_bytes(2, "sn-fund-dibao"),
                f_int(3, 2), f_int(4, 84700), f_bytes(5, ins),
                f_bytes(5, ins2))
    write("bank", "request_batch", b"\x00" + msg(f_bytes(1, batch)))
    # As disbursement sends them to bank-gateway (issue 14): a fund the
    # gateway pays from, the month paid and the run; no debtor account.
    pay = msg(f_bytes(1, "E2E-G-1"), f_int(2, 83000), f_bytes(3, "ICBC"),
              f_bytes(4, "6222020000000001"), f_bytes(5, "张三"),
              f_bytes(7, "2027-01"), f_bytes(8, "run-1"))
    pay2 = msg(f_bytes(1, "E2E-G-2"), f_int(2, 63000), f_bytes(3, "ICBC"),
               f_bytes(4, "6222020000000005"), f_bytes(5, "钱七"),
               f_bytes(7, "2027-01"), f_bytes(8, "run-1"))
    write("bank", "request_batch_dibao",
          b"\x00" + msg(f_bytes(1, msg(f_bytes(1, "B0000000000000042"),
                                      f_int(3, 2), f_int(4, 146000),
                                      f_bytes(5, pay), f_bytes(5, pay2),
                                      f_bytes(6, "dibao")))))
    grant = msg(f_bytes(1, "E2E-G-3"), f_int(2, 70000), f_bytes(3, "ICBC"),
                f_bytes(4, "6222020000000006"), f_bytes(5, "孙八"))
    write("bank", "request_batch_tekun",
          b"\x00" + msg(f_bytes(1, msg(f_bytes(1, "B-tekun.1_x"),
                                      f_int(3, 1), f_int(4, 70000),
                                      f_bytes(5, grant),
                                      f_bytes(6, "tekun")))))
    bad = msg(f_bytes(1, "E2E-G-4"), f_int(2, 0), f_bytes(3, "ICBC"),
              f_bytes(4, "6222020000000001"), f_bytes(5, "张三"),
              f_bytes(7, "2027-01"))
    write("bank", "request_batch_zero",
          b"\x00" + msg(f_bytes(1, msg(f_bytes(1, "B0000000000000043"),
                                      f_int(3, 1), f_int(4, 0),
                                      f_bytes(5, bad),
                                      f_bytes(6, "dibao")))))
    write("bank", "request_funds",
          b"\x00" + msg(f_bytes(3, msg(f_bytes(1, "dibao"),
                                      f_bytes(1, "housing")))))
    query = msg(f_bytes(1, "E2E-1"), f_bytes(1, "E2E-2"))
    write("bank", "request_query", b"\x00" + msg(f_bytes(2, query)))
    st = msg(f_bytes(1, "E2E-1"), f_int(2, 2), f_bytes(5, "2026-12-03T08:00:00Z"))
    st2 = msg(f_bytes(1, "E2E-2"), f_int(2, 3), f_bytes(3, "AC04"),
              f_bytes(4, "account closed"))
    reply = msg(f_bytes(1, "B0123456789abcdef"), f_int(2, 1), f_bytes(4, st),
                f_bytes(4, st2))
    write("bank", "reply_batch", b"\x01" + msg(f_bytes(1, reply)))
    write("bank", "reply_status", b"\x01" + msg(f_bytes(2, msg(f_bytes(1, st)))))
    write("bank", "reply_refused",
          b"\x01" + msg(f_bytes(1, msg(f_bytes(1, "B1"),
                                       f_bytes(3, "control sum mismatch")))))


def agency():
    ids = ["110101199003078515", "22010319870215002X"]
    req = msg(f_bytes(1, "R-1"), f_int(2, 2), f_bytes(3, "C-1"),
              *[f_bytes(4, i) for i in ids], f_bytes(5, "verification"))
    write("agency", "request_hr", b"\x00" + req)
    req = msg(f_bytes(1, "R-2"), f_int(2, 1), f_bytes(4, ids[0]))
    write("agency", "request_no_consent", b"\x00" + req)
    recs = [msg(f_bytes(1, i), f_int(2, 1), f_int(3, 1), f_int(4, 250000),
                f_int(7, 1)) for i in ids]
    rep = msg(f_bytes(1, "R-1"), f_int(2, 2), f_int(3, 1),
              *[f_bytes(5, r) for r in recs],
              f_bytes(6, "2026-12-03T08:00:00Z"))
    write("agency", "reply_ok", b"\x01" + rep)
    rep = msg(f_bytes(1, "R-1"), f_int(2, 7), f_int(3, 2),
              f_bytes(4, "agency down"))
    write("agency", "reply_error", b"\x01" + rep)
    notice = msg(f_bytes(1, "N-1"), f_int(2, 2), f_int(3, 2),
                 f_bytes(4, ids[0]), f_bytes(5, "2026-11-30"),
                 f_int(6, 420000), f_bytes(8, "2026-12-01T08:00:00.000Z"))
    write("agency", "notice_new_job", b"\x02" + notice)


W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def idnum(first17):
    return first17 + "10X98765432"[sum(int(a) * b
                                       for a, b in zip(first17, W)) % 11]


def intake():
    import json
    a = idnum("22010319800512011")
    b = idnum("22010319820301022")
    c = idnum("22010320100720033")
    hh = {"registration": "rural", "district_code": "220103",
          "township_code": "220103001", "village_code": "220103001002",
          "address": "No. 3, East Lane", "has_able_supporter": False}

    def member(i, name, rel, born, lab, grade, care):
        return {"id_number": i, "name": name, "relation": rel,
                "birth_date": born, "labour_capacity": lab,
                "disability_grade": grade, "self_care": care}
    members = [member(a, "Wang Fang", "self", "1980-05-12", "partial", 0,
                      "able"),
               member(b, "Li Ming", "spouse", "1982-03-01", "none", 2,
                      "partially_able"),
               member(c, "Wang Xiao", "child", "2010-07-20", "none", 0,
                      "able")]
    app = {"household": hh, "members": members,
           "declared_income": {"wages_fen": 120000, "business_fen": 0,
                               "pensions_fen": 0, "other_fen": 5000},
           "declared_expenditure": {"medical_fen": 30000,
                                    "education_fen": 8000,
                                    "housing_fen": 0,
                                    "employment_costs_fen": 0},
           "consent": {"reference": "CONSENT-2025-0001",
                       "signed_date": "2025-06-01"},
           "payee": {"bank_code": "RCC", "account_number": "6230520000123456",
                     "account_name": "Wang Fang"},
           "requested_category": "dibao"}

    def w(name, kind, body):
        write("intake", name, bytes([kind]) + json.dumps(body,
              ensure_ascii=False).encode())
    w("application", 0, app)
    w("withdraw", 1, {"reason": "moved to the city\tfor work"})
    w("resubmit", 2, {"amendment": "wages corrected\nper payslip"})
    w("change_death", 3, {"kind": "death", "member_id_number": b,
                          "effective_date": "2026-11-30",
                          "note": "per the village"})
    w("change_income", 3, {"kind": "income",
                           "declared_income": app["declared_income"],
                           "effective_date": "2026-12-01"})
    w("change_members", 3, {"kind": "members", "members": members,
                            "effective_date": "2026-12-01"})



def services():
    import json

    def w(harness, name, body, kind=None):
        text = json.dumps(body, ensure_ascii=False).encode()
        write(harness, name, (bytes([kind]) if kind is not None else b"")
              + text)
    m = [idnum("22010319800512011"), idnum("22010319820301022"),
         idnum("22010320100720033")]
    inv = [idnum("22010319750101045"), idnum("22010319760202056")]
    w("investigation", "report", {
        "investigators": [{"user_id": "inv1", "id_number": inv[0]},
                          {"user_id": "inv2", "id_number": inv[1]}],
        "visit_date": "2026-11-20",
        "members": [{"id_number": m[0], "present": True},
                    {"id_number": m[1], "present": True},
                    {"id_number": m[2], "present": False}],
        "living_conditions": "two rooms,\nlittle furniture",
        "housing_condition": "old brick house, leaking roof",
        "contradictions": ["a new car in the yard"],
        "recommendation": "approve"})
    w("approval", "village_pass", {"decision": "pass"}, 0)
    w("approval", "village_return", {"decision": "return",
                                      "reason": "documents missing"}, 0)
    w("approval", "township_approve", {"decision": "approve",
                                       "category": "tekun",
                                       "discrepancies_seen": True,
                                       "override_reason_code": "R1",
                                       "override_note": "seen\tand checked"},
      1)
    w("approval", "township_reject", {"decision": "reject",
                                      "reason": "hidden income"}, 1)
    w("approval", "district_file", {"decision": "file", "spot_check": True,
                                    "note": "ok"}, 2)
    w("notices", "death", {"kind": "death", "id_number": m[0],
                           "effective_date": "2026-11-30"})
    w("notices", "new_job", {"kind": "new_job", "id_number": m[1],
                             "effective_date": "2026-12-01",
                             "monthly_wage_fen": 420000,
                             "note": "payroll"})


bus()
bank()
agency()
intake()
services()
