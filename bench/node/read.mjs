// read.mjs FILE ROUNDS — the baseline of bench/bench-parquet.sh: reads every
// row of a Parquet file with hyparquet (all columns, rows as objects) and
// prints one JSON line: rows, median wall and CPU (user+sys, all threads)
// seconds and rows per second of each over ROUNDS runs.
// The file is loaded into memory once, before timing: hyparquet's fastest
// path, so the comparison favours the baseline.
import { readFileSync } from 'fs'
import { parquetReadObjects } from 'hyparquet'

const [file, roundsArg] = process.argv.slice(2)
const rounds = Number(roundsArg || 5)
const buf = readFileSync(file)
const arrayBuffer = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
const times = []
const cpus = []
let rows = 0
let check = 0
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  const objs = await parquetReadObjects({ file: arrayBuffer })
  rows = objs.length
  // touch every value, as the C side does
  for (const o of objs) for (const k in o) if (o[k] !== null && o[k] !== undefined) check++
  times.push(Number(process.hrtime.bigint() - t0) / 1e9)
  const c = process.cpuUsage(c0)
  cpus.push((c.user + c.system) / 1e6)
}
cpus.sort((a, b) => a - b)
const cpu = cpus[Math.floor(cpus.length / 2)]
times.sort((a, b) => a - b)
const med = times[Math.floor(times.length / 2)]
console.log(JSON.stringify({ reader: 'hyparquet', rows, seconds: med, rows_per_s: rows / med, cpu_seconds: cpu,
  rows_per_cpu_s: rows / cpu, values: check }))
