/** Datasets of the local broker, serving real corpus/sample files. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/corpus.js';
import { fileProduct, type FakeDataset } from './server.js';
import { zip } from './zipper.js';

export const ERA5 = 'EO:ECMWF:DAT:REANALYSIS_ERA5_PRESSURE_LEVELS';
export const CMEMS = 'EO:MO:DAT:GLOBAL_ANALYSISFORECAST_PHY_001_024:cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_202406';
export const S3 = 'EO:EUM:DAT:SENTINEL-3:OL_2_WRR___';

export const cmemsPath = join(repoRoot, 'samples/cmems-currents/cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01_1deg_5day.nc');
export const era5Path = join(repoRoot, 'samples/era5-pressure-levels/test4.nc');

export function testDatasets(): FakeDataset[] {
  const many = Array.from({ length: 23 }, (_, i) => ({
    id: `S3A_OL_2_WRR____2024010${i % 9}T10${String(i).padStart(2, '0')}00_NT_002.SEN3`,
    bytes: Buffer.from(`product ${i} `.repeat(50)),
    filename: `S3A_${i}.SEN3.zip`,
    start: `2024-01-0${(i % 9) + 1}T10:00:00.000Z`,
    end: `2024-01-0${(i % 9) + 1}T10:03:00.000Z`,
    bbox: [-10 + i, 35, 0 + i, 45] as [number, number, number, number],
  }));
  return [
    {
      id: ERA5,
      title: 'ERA5 hourly data on pressure levels from 1940 to present',
      terms: ['Copernicus_ECMWF_License'],
      timeKeys: 'ymd',
      queryables: {
        product_type: { type: 'array', items: { oneOf: [{ const: 'reanalysis' }] } },
        variable: { type: 'array' },
        pressure_level: { type: 'array' },
        year: { type: 'array' },
        month: { type: 'array' },
        day: { type: 'array' },
        time: { type: 'array' },
        data_format: { type: 'string', oneOf: [{ const: 'grib' }, { const: 'netcdf' }] },
      },
      products: [{ ...fileProduct('reanalysis-era5-pressure-levels-2007', era5Path, '2007-01-01T12:00:00Z', '2007-01-01T12:00:00Z', [0, -90, 360, 90]), announceSize: false }],
    },
    {
      id: CMEMS,
      title: 'Global Ocean Physics Analysis and Forecast',
      terms: ['Copernicus_Marine_Service_Product_License'],
      timeKeys: ['min_date', 'max_date'],
      queryables: { bbox: { type: 'array' }, variables: { type: 'array' }, min_date: { type: 'string', format: 'date-time' }, max_date: { type: 'string', format: 'date-time' } },
      products: [
        {
          id: 'cmems_mod_glo_phy-cur_anfc_0.083deg_P1D-m_2024-01.zip',
          bytes: zip([{ name: 'cmems/currents_2024-01.nc', data: readFileSync(cmemsPath) }, { name: 'cmems/README.txt', data: Buffer.from('not data') }]),
          filename: 'cmems_currents_2024-01.zip',
          start: '2024-01-03T00:00:00Z',
          end: '2024-01-28T00:00:00Z',
          bbox: [-180, -80, 180, 90],
        },
      ],
    },
    {
      id: S3,
      title: 'OLCI Level 2 Ocean Colour Reduced Resolution',
      terms: ['EUMETSAT_Copernicus_Data_Licence'],
      timeKeys: ['dtstart', 'dtend'],
      queryables: { bbox: { type: 'array' }, dtstart: { type: 'string', format: 'date-time' }, dtend: { type: 'string', format: 'date-time' }, sat: { type: 'string', oneOf: [{ const: 'Sentinel-3A' }, { const: 'Sentinel-3B' }] }, timeliness: { type: 'string' } },
      products: many,
    },
  ];
}
