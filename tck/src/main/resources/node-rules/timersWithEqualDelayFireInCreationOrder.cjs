// timers with equal delay scheduled together fire in creation order.
const log = (line) => console.log(line);

for (let i = 1; i <= 5; i++) {
  setTimeout(() => log('timeout ' + i + ' of 10 ms'), 10);
}
for (let i = 1; i <= 3; i++) {
  setTimeout(() => log('timeout ' + i + ' of 0 ms'), 0);
}
log('main end');
