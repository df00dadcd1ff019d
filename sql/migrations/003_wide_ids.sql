-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 3: uids are unsigned 32-bit on Linux; int cannot hold the
-- upper half (e.g. 4294967294), and one such row would be refused.

ALTER TABLE sexec.job ALTER COLUMN uid TYPE bigint;
ALTER TABLE sexec.process ALTER COLUMN uid TYPE bigint;
