// ES module entry of lazyfree/prometheus: the same objects as require('lazyfree/prometheus').
import prometheus from './prometheus.js'

export const { registerMetrics } = prometheus
export default prometheus
