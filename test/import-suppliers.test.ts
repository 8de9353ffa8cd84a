/**
 * An item import names each item's preferred supplier, with its supplier SKU and price (issue 19).
 * A supplier the file names must exist: an unknown or archived name is a problem of its row (the
 * preview says so, nothing is imported); a supplier SKU or price with no supplier is one too. The
 * named supplier becomes the preferred one; the item's other links stay, no longer preferred; a
 * cell left empty keeps what the link had. Audited per item. On every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../src/shared/contracts/inventory.ts';
import { createItem, createSupplier, multipart } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

const HEAD = 'sku,name,supplier,supplier_sku,supplier_price';

describe.each(ENGINES)('import with suppliers on %s', (engine) => {
  let t: TestApp;
  let admin: Session;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  const upload = (url: string, csv: string) =>
    admin.inject({ method: 'POST', url: `/api/v1/items/${url}`, ...multipart('items.csv', csv) });
  const item = async (id: string): Promise<Item> =>
    (await admin.inject({ method: 'GET', url: `/api/v1/items/${id}` })).json();

  it('refuses a supplier nobody created, an archived one, and a supplier SKU or price with no supplier', async () => {
    const archived = await createSupplier(admin, { name: 'Old Wholesale' });
    expect((await admin.inject({ method: 'POST', url: `/api/v1/suppliers/${archived.id}/archive` })).statusCode).toBe(
      200,
    );
    const csv = [
      HEAD,
      'IS-1,Tonic water,Nobody Ltd,NB-1,1.20',
      'IS-2,Soda,old wholesale,,',
      'IS-3,Lemonade,,LM-9,',
      'IS-4,Cola,,,0.80',
    ].join('\n');
    const preview = await upload('import/preview', csv);
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().errors).toEqual([
      {
        row: 2,
        column: 'supplier',
        message: 'No supplier is named "Nobody Ltd". Add it under Suppliers first, or leave the cell empty.',
      },
      {
        row: 3,
        column: 'supplier',
        message: 'The supplier "Old Wholesale" is archived. Restore it first, or leave the cell empty.',
      },
      {
        row: 4,
        column: 'supplier_sku',
        message: 'Name the supplier in the "supplier" column, or leave this cell empty.',
      },
      {
        row: 5,
        column: 'supplier_price',
        message: 'Name the supplier in the "supplier" column, or leave this cell empty.',
      },
    ]);
    const res = await upload('import', csv);
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toBe('4 problems in the file; nothing was imported.');
    const none = await admin.inject({ method: 'GET', url: '/api/v1/items?q=IS-' });
    expect(none.json().total).toBe(0);
  });

  it('makes the named supplier preferred, keeps other links, and keeps what empty cells leave out', async () => {
    const first = await createSupplier(admin, { name: 'Drinks Direct' });
    const second = await createSupplier(admin, { name: 'Bottle Barn' });
    const existing = await createItem(admin, {
      sku: 'IS-GIN',
      name: 'Gin',
      suppliers: [{ supplierId: first.id, supplierSku: 'DD-GIN', supplierPrice: 1500, preferred: true }],
    });
    const res = await upload(
      'import',
      [
        HEAD,
        // An existing item: a new preferred supplier; the old one stays linked.
        'IS-GIN,Gin,Bottle Barn,BB-77,"14,90"',
        // A new item, the name matched ignoring case; no price given: 0, as a new link has.
        'IS-RUM,Rum,  drinks direct ,DD-RUM,',
        // No supplier: the links are left alone.
        'IS-VOD,Vodka,,,',
      ].join('\n'),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ created: 2, updated: 1 });

    expect((await item(existing.id)).suppliers).toEqual([
      {
        supplierId: second.id,
        supplierName: 'Bottle Barn',
        supplierSku: 'BB-77',
        supplierPrice: 1490,
        preferred: true,
      },
      {
        supplierId: first.id,
        supplierName: 'Drinks Direct',
        supplierSku: 'DD-GIN',
        supplierPrice: 1500,
        preferred: false,
      },
    ]);
    const list = (await admin.inject({ method: 'GET', url: '/api/v1/items?q=IS-&sort=sku' })).json().items as Item[];
    expect(list.map((i) => [i.sku, i.suppliers])).toEqual([
      ['IS-GIN', expect.any(Array)],
      [
        'IS-RUM',
        [
          {
            supplierId: first.id,
            supplierName: 'Drinks Direct',
            supplierSku: 'DD-RUM',
            supplierPrice: 0,
            preferred: true,
          },
        ],
      ],
      ['IS-VOD', []],
    ]);

    // Switching back to the first supplier with empty SKU and price cells keeps the link's own.
    const again = await upload('import', [HEAD, 'IS-GIN,Gin,Drinks Direct,,'].join('\n'));
    expect(again.statusCode, again.body).toBe(200);
    expect((await item(existing.id)).suppliers).toEqual([
      {
        supplierId: first.id,
        supplierName: 'Drinks Direct',
        supplierSku: 'DD-GIN',
        supplierPrice: 1500,
        preferred: true,
      },
      {
        supplierId: second.id,
        supplierName: 'Bottle Barn',
        supplierSku: 'BB-77',
        supplierPrice: 1490,
        preferred: false,
      },
    ]);

    // Each row's change of supplier is in its audit event.
    const audit = await admin.inject({
      method: 'GET',
      url: `/api/v1/audit?action=inventory.import&targetType=item&targetId=${existing.id}`,
    });
    const events = audit.json().items as { before: Record<string, unknown>; after: Record<string, unknown> }[];
    expect(events).toHaveLength(2);
    expect(events[0]?.before.preferredSupplier).toMatchObject({ supplierName: 'Bottle Barn' });
    expect(events[0]?.after.preferredSupplier).toMatchObject({ supplierName: 'Drinks Direct', supplierPrice: 1500 });
    expect(events[1]?.before.preferredSupplier).toMatchObject({ supplierName: 'Drinks Direct' });
    expect(events[1]?.after.preferredSupplier).toMatchObject({ supplierName: 'Bottle Barn', supplierSku: 'BB-77' });
  });
});
