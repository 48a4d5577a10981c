import { isCanonical } from '../core/paging';
import { addressFields, addressOf } from '../store/derive';
import { useExplorer, useExplorerStore } from './context';
import { useStepInfo } from './derived';

/**
 * The step's virtual address split into its bit fields; hovering (or focusing) a field highlights that level in the
 * tree.
 */
export function AddressBar() {
  const store = useExplorerStore();
  const paging = useExplorer((s) => s.loaded?.scenario.paging ?? 4);
  const hover = useExplorer((s) => s.hoverLevel);
  const { step, report } = useStepInfo();
  const addr = addressOf(step, report);
  if (addr === null) {
    return (
      <section className="address" aria-label="Virtual address" data-testid="address">
        <span className="muted">This step has no virtual address.</span>
      </section>
    );
  }
  const fields = addressFields(addr, paging);
  const canonical = isCanonical(addr, paging);
  const set = (level: string | null) => store.getState().setHoverLevel(level);
  return (
    <section className="address" aria-label="Virtual address" data-testid="address">
      <code className="address-hex">
        0x
        {BigInt.asUintN(64, addr)
          .toString(16)
          .padStart(paging === 5 ? 15 : 12, '0')}
      </code>
      <ol className="fields">
        {fields.map((f) => {
          const isLevel = f.name !== 'sign' && f.name !== 'offset';
          return (
            <li
              key={f.name}
              className={`field field-${f.name}${hover === f.name ? ' hover' : ''}`}
              data-field={f.name}
              tabIndex={isLevel ? 0 : undefined}
              onMouseEnter={isLevel ? () => set(f.name) : undefined}
              onMouseLeave={isLevel ? () => set(null) : undefined}
              onFocus={isLevel ? () => set(f.name) : undefined}
              onBlur={isLevel ? () => set(null) : undefined}
              aria-label={`${f.label}, bits ${f.hi} to ${f.lo}: ${isLevel ? `index ${f.value}` : f.name === 'offset' ? `offset ${f.value}` : canonical ? 'canonical' : 'not canonical'}`}
            >
              <span className="field-name" aria-hidden="true">
                {f.name === 'sign' ? 'sign' : f.label}{' '}
                <span className="bits">
                  {f.hi}–{f.lo}
                </span>
              </span>
              <span className="field-bits" aria-hidden="true">
                {f.name === 'sign' ? `${f.bits.slice(0, 1)}…${f.bits.slice(-1)}` : f.bits}
              </span>
              <span className="field-value" aria-hidden="true">
                {isLevel
                  ? `[${f.value}]`
                  : f.name === 'offset'
                    ? `0x${f.value.toString(16)}`
                    : canonical
                      ? 'canonical'
                      : 'NOT canon.'}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
